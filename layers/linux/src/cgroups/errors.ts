export class CgroupError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly pointer?: string,
    readonly file?: string,
    readonly errno?: string,
  ) {
    super(message);
    this.name = 'CgroupError';
  }
}
