import { buildToken, type TokenRole } from '@patchbay/token';
import { CliError, EXIT_USAGE } from '../errors.js';

export interface TokenCommandOptions {
  appId: string;
  /** Default: env PATCHBAY_APP_CERTIFICATE (keeps the secret out of shell history). */
  appCertificate?: string;
  channel: string;
  uid?: number | string;
  role?: TokenRole;
  /** Seconds; default 21600 (6 h), at most 86400. */
  expire?: number;
  joinExpire?: number;
  publishExpire?: number;
}

/** `patchbay token`: builds a token and returns it (bin prints it). */
export async function tokenCommand(options: TokenCommandOptions): Promise<string> {
  const appCertificate = options.appCertificate ?? process.env.PATCHBAY_APP_CERTIFICATE;
  if (!appCertificate) {
    throw new CliError('give --app-certificate or set PATCHBAY_APP_CERTIFICATE', EXIT_USAGE);
  }
  try {
    return await buildToken({
      appId: options.appId,
      appCertificate,
      channel: options.channel,
      uid: options.uid ?? null,
      role: options.role ?? 'host',
      expireSeconds: options.expire,
      joinExpireSeconds: options.joinExpire,
      publishAudioExpireSeconds: options.publishExpire,
    });
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError)
      throw new CliError(error.message, EXIT_USAGE);
    throw error;
  }
}
