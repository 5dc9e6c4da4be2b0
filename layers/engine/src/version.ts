// The engine's version (package.json), reported by /version and /info as ServerVersion.
export const VERSION = '0.1.0';
