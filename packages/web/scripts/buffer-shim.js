// Bundles only: @patchbay/protocol measures signaling frames with Node's Buffer. This gives the
// browser bundles the two Buffer calls it makes (on top of TextEncoder/TextDecoder) without a
// global polyfill: esbuild replaces the free identifier `Buffer` with this export.
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const Buffer = {
  byteLength(text) {
    return typeof text === 'string' ? encoder.encode(text).length : text.byteLength;
  },
  from(bytes) {
    return { toString: () => decoder.decode(bytes) };
  },
};
