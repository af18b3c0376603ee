// Why a file named by the operator could not be read, in words: Node's own messages ("ENOENT: no such file or
// directory, open '/x'") name the system call and the error code, which is for programmers.

const WORDS: Record<string, string> = {
  ENOENT: 'there is no such file',
  EISDIR: 'it is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  EIO: 'an input/output error (the disk?)',
};

/** "cannot read FILE: REASON" for an error thrown by fs reading FILE. */
export function cannotRead(file: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const why = (code && WORDS[code]) ?? (e instanceof Error ? e.message : String(e));
  return `cannot read ${file}: ${why}`;
}
