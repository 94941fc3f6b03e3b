/** The Node SDK's error class is the client core's: one class, one set of codes across SDKs. */
export { PatchbayError } from '@patchbay/client';
