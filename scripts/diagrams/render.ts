// Rendering mermaid to SVG/PNG with mermaid-cli's renderer in one headless Chromium (Debian's
// /usr/bin/chromium; puppeteer's own browser download is skipped, PUPPETEER_SKIP_DOWNLOAD=1).
// As root Chromium needs --no-sandbox. handDrawnSeed fixes the random wobble of some shapes, so
// the same .mmd gives the same SVG on the same machine (text widths still depend on its fonts).
import fs from 'node:fs';

export const CHROMIUM = process.env.PUPPETEER_EXECUTABLE_PATH || '/usr/bin/chromium';
const MERMAID_CONFIG = { theme: 'default', handDrawnSeed: 1, deterministicIds: true, sequence: { mirrorActors: true, noteAlign: 'center' } };

export function rendererMissing(): string | undefined {
  if (!fs.existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set PUPPETEER_EXECUTABLE_PATH)`;
  return undefined;
}

export interface RenderJob {
  mmd: string;
  /** .svg or .png */
  out: string;
  /** A line written before the SVG (the source's hash); unused for PNG. */
  stamp: string;
}

export async function render(jobs: RenderJob[]): Promise<void> {
  if (!jobs.length) return;
  const [{ renderMermaid }, { default: puppeteer }] = await Promise.all([import('@mermaid-js/mermaid-cli'), import('puppeteer')]);
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    for (const j of jobs) {
      const png = j.out.endsWith('.png');
      const { data } = await renderMermaid(browser, j.mmd, png ? 'png' : 'svg', {
        mermaidConfig: MERMAID_CONFIG as never,
        backgroundColor: 'white',
        viewport: png ? { width: 2000, height: 1000, deviceScaleFactor: 1 } : undefined,
      });
      if (png) fs.writeFileSync(j.out, data);
      else fs.writeFileSync(j.out, `${j.stamp}\n${Buffer.from(data).toString('utf8')}\n`);
    }
  } finally {
    await browser.close();
  }
}
