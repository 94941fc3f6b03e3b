import { TypedEmitter } from '@patchbay/client';

/** Events of the factory object (`AgoraRTC.on(...)`), each mirrored by an assignable `onXxx` hook. */
export type FactoryEvents = {
  'autoplay-failed': [];
  'audio-context-state-changed': [
    current: AudioContextState | 'interrupted',
    previous: AudioContextState | undefined,
  ];
  'microphone-changed': [info: DeviceChangeInfo];
  'playback-device-changed': [info: DeviceChangeInfo];
  'camera-changed': [info: DeviceChangeInfo];
};

export interface DeviceChangeInfo {
  state: 'ACTIVE' | 'INACTIVE';
  device: MediaDeviceInfo;
  initAt: number;
  updateAt: number;
}

/** The hooks a page may assign on the factory object, as in the Web SDK NG. */
export interface FactoryHooks {
  onAutoplayFailed?: (() => void) | null;
  onAudioAutoplayFailed?: (() => void) | null;
  onAudioContextStateChanged?:
    ((current: AudioContextState | 'interrupted', previous: AudioContextState | undefined) => void) | null;
  onMicrophoneChanged?: ((info: DeviceChangeInfo) => void) | null;
  onPlaybackDeviceChanged?: ((info: DeviceChangeInfo) => void) | null;
  onCameraChanged?: ((info: DeviceChangeInfo) => void) | null;
  onSecurityPolicyViolation?: ((event: Event) => void) | null;
}

class FactoryEmitter extends TypedEmitter<FactoryEvents> {
  fire<K extends keyof FactoryEvents>(event: K, ...args: FactoryEvents[K]): void {
    this.emit(event, ...args);
  }
}

/** Listeners registered with the factory's on()/once()/off(). */
export const factoryEvents = new FactoryEmitter();

let hookTarget: FactoryHooks = {};

/** @internal index.ts hands over the default export object, on which pages assign hooks. */
export function setHookTarget(target: FactoryHooks): void {
  hookTarget = target;
}

function callHook(name: keyof FactoryHooks, ...args: unknown[]): void {
  const hook = hookTarget[name] as ((...a: unknown[]) => void) | null | undefined;
  if (typeof hook !== 'function') return;
  try {
    hook(...args);
  } catch (error) {
    console.error(`[patchbay] ${name} threw`, error);
  }
}

export function fireAutoplayFailed(): void {
  callHook('onAutoplayFailed');
  callHook('onAudioAutoplayFailed');
  factoryEvents.fire('autoplay-failed');
}

export function fireAudioContextStateChanged(
  current: AudioContextState | 'interrupted',
  previous: AudioContextState | undefined,
): void {
  callHook('onAudioContextStateChanged', current, previous);
  factoryEvents.fire('audio-context-state-changed', current, previous);
}

/** Watches navigator.mediaDevices for added/removed devices once anyone could care. */
let watching = false;
let known = new Map<string, { device: MediaDeviceInfo; initAt: number }>();

export function watchDevices(): void {
  if (watching || typeof navigator === 'undefined' || !navigator.mediaDevices?.addEventListener) return;
  watching = true;
  const scan = async (report: boolean): Promise<void> => {
    let list: MediaDeviceInfo[];
    try {
      list = await navigator.mediaDevices.enumerateDevices();
    } catch {
      return;
    }
    const now = Date.now();
    const next = new Map<string, { device: MediaDeviceInfo; initAt: number }>();
    for (const device of list) {
      const key = `${device.kind}:${device.deviceId}`;
      const old = known.get(key);
      next.set(key, { device, initAt: old?.initAt ?? now });
      if (report && !old) announce(device, 'ACTIVE', now, now);
    }
    if (report) {
      for (const [key, old] of known) if (!next.has(key)) announce(old.device, 'INACTIVE', old.initAt, now);
    }
    known = next;
  };
  void scan(false);
  navigator.mediaDevices.addEventListener('devicechange', () => void scan(true));
}

function announce(
  device: MediaDeviceInfo,
  state: 'ACTIVE' | 'INACTIVE',
  initAt: number,
  updateAt: number,
): void {
  const info: DeviceChangeInfo = { state, device, initAt, updateAt };
  if (device.kind === 'audioinput') {
    callHook('onMicrophoneChanged', info);
    factoryEvents.fire('microphone-changed', info);
  } else if (device.kind === 'audiooutput') {
    callHook('onPlaybackDeviceChanged', info);
    factoryEvents.fire('playback-device-changed', info);
  } else if (device.kind === 'videoinput') {
    callHook('onCameraChanged', info);
    factoryEvents.fire('camera-changed', info);
  }
}
