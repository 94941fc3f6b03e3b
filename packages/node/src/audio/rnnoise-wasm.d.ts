/** The part of @echogarden/rnnoise-wasm (an Emscripten build of xiph/rnnoise) that NoiseSuppressor uses. */
declare module '@echogarden/rnnoise-wasm' {
  export interface RnnoiseModule {
    HEAPF32: Float32Array;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    _rnnoise_get_frame_size(): number;
    _rnnoise_create(model: number): number;
    _rnnoise_destroy(state: number): void;
    _rnnoise_process_frame(state: number, out: number, input: number): number;
  }
  const createModule: () => Promise<RnnoiseModule>;
  export default createModule;
}
