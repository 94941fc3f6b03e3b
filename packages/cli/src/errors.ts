import { ErrorCode, type NodeClient, PatchbayError } from '@patchbay/node';
import { WavFormatError } from './wav.js';

/** Exit code of an expected failure (missing file, bad format, unreachable server, ...). */
export const EXIT_FAILURE = 1;
/** Exit code of a command line that cannot be parsed or whose options do not fit together. */
export const EXIT_USAGE = 2;

/**
 * An expected failure whose message is already fit for the user: printed as one line
 * `patchbay: <message>`, never with a stack trace.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, exitCode = EXIT_FAILURE) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The message for a server that cannot be reached. */
export function unreachableMessage(url: string): string {
  return `cannot reach the Patchbay server at ${url} — is \`patchbay serve\` running?`;
}

/** Whether a client error means the server could not be reached (or stopped answering). */
export function isUnreachable(error: unknown): boolean {
  return (
    error instanceof PatchbayError &&
    (error.code === ErrorCode.WS_ERR || error.code === ErrorCode.NETWORK_TIMEOUT)
  );
}

/** Turns a join() failure into a CliError when the server is unreachable; other errors pass through. */
export function explainClientError(error: unknown, url: string): unknown {
  return isUnreachable(error) ? new CliError(unreachableMessage(url)) : error;
}

/**
 * Calls `onLost` once if the client is disconnected by anything but leave() (the server shut
 * down, the network failed). Returns a function that stops watching.
 */
export function watchConnection(
  client: NodeClient,
  url: string,
  onLost: (error: CliError) => void,
): () => void {
  const listener = (state: string, _previous: string, reason?: string): void => {
    if (state !== 'DISCONNECTED' || reason === undefined || reason === 'LEAVE') return;
    const why = reason === 'SERVER_ERROR' ? 'the server ended the session' : 'network error';
    onLost(new CliError(`lost the connection to the Patchbay server at ${url} (${why})`));
  };
  client.on('connection-state-change', listener);
  return () => client.off('connection-state-change', listener);
}

interface SystemError extends Error {
  code: string;
  path?: string;
  address?: string;
  port?: number;
}

function isSystemError(error: unknown): error is SystemError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
};

/**
 * One line describing an error, or `null` when the error is not one we expected (a bug: the
 * caller then shows the stack).
 */
export function describeError(error: unknown): string | null {
  if (error instanceof CliError || error instanceof WavFormatError) return error.message;
  if (error instanceof PatchbayError) return `${error.message} (${error.code})`;
  if (isSystemError(error)) {
    const fileProblem = FILE_ERRORS[error.code];
    if (fileProblem && error.path !== undefined) return `${error.path}: ${fileProblem}`;
    if (error.code === 'EADDRINUSE') {
      const where =
        error.port !== undefined ? `port ${error.port} on ${error.address ?? 'this host'}` : 'the port';
      return `${where} is already in use (another \`patchbay serve\`?); pick another with --port, or 0 for a free one`;
    }
    if (error.code === 'EADDRNOTAVAIL') {
      return `cannot bind to ${error.address ?? 'that address'}: no interface of this machine has it`;
    }
    if (error.code === 'EPIPE') return 'output closed early (broken pipe)';
  }
  return null;
}

/**
 * Prints `patchbay: <message>` to stderr and returns the exit code to use. Unexpected errors
 * also print their stack (they are bugs worth reporting).
 */
export function reportError(error: unknown): number {
  const line = describeError(error);
  if (line !== null) {
    process.stderr.write(`patchbay: ${line}\n`);
    return error instanceof CliError ? error.exitCode : EXIT_FAILURE;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`patchbay: unexpected error: ${message}\n`);
  if (error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return EXIT_FAILURE;
}
