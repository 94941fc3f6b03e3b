// N-API binding for libwebrtc's AudioProcessing module (webrtc-audio-processing 0.3,
// Debian's libwebrtc-audio-processing-dev): echo cancellation, gain control, noise
// suppression and a high-pass filter on 10 ms frames of interleaved 16-bit PCM.
#include <node_api.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "webrtc/modules/audio_processing/include/audio_processing.h"
#include "webrtc/modules/interface/module_common_types.h"

namespace {

struct Processor {
  webrtc::AudioProcessing* apm = nullptr;
  int sample_rate = 48000;
  int channels = 1;
  int delay_ms = 0;
  webrtc::AudioFrame capture;
  webrtc::AudioFrame reverse;
  ~Processor() { delete apm; }
};

bool Throw(napi_env env, const std::string& code, const std::string& message) {
  napi_value msg, err, c;
  napi_create_string_utf8(env, message.c_str(), NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, code.c_str(), NAPI_AUTO_LENGTH, &c);
  napi_create_error(env, c, msg, &err);
  napi_throw(env, err);
  return false;
}

bool GetProp(napi_env env, napi_value obj, const char* name, napi_value* out) {
  bool has = false;
  napi_has_named_property(env, obj, name, &has);
  if (!has) return false;
  napi_get_named_property(env, obj, name, out);
  napi_valuetype t;
  napi_typeof(env, *out, &t);
  return t != napi_undefined;
}

int GetInt(napi_env env, napi_value obj, const char* name, int fallback) {
  napi_value v;
  if (!GetProp(env, obj, name, &v)) return fallback;
  int32_t r = fallback;
  if (napi_get_value_int32(env, v, &r) != napi_ok) return fallback;
  return r;
}

bool GetBool(napi_env env, napi_value obj, const char* name, bool fallback) {
  napi_value v;
  if (!GetProp(env, obj, name, &v)) return fallback;
  bool r = fallback;
  if (napi_get_value_bool(env, v, &r) != napi_ok) return fallback;
  return r;
}

void Finalize(napi_env, void* data, void*) { delete static_cast<Processor*>(data); }

Processor* Unwrap(napi_env env, napi_callback_info info, size_t* argc, napi_value* argv) {
  napi_value self;
  napi_get_cb_info(env, info, argc, argv, &self, nullptr);
  void* p = nullptr;
  napi_unwrap(env, self, &p);
  auto* proc = static_cast<Processor*>(p);
  if (!proc || !proc->apm) {
    Throw(env, "INVALID_OPERATION", "the AudioProcessor was closed");
    return nullptr;
  }
  return proc;
}

// new Native({ sampleRate, channels, aec, agc, ns, hpf, agcTargetDbfs, agcCompressionGainDb, nsLevel, aecLevel })
napi_value New(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  napi_get_cb_info(env, info, &argc, argv, &self, nullptr);
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  if (t != napi_object) {
    Throw(env, "INVALID_PARAMS", "AudioProcessor options must be an object");
    return nullptr;
  }
  napi_value o = argv[0];
  const int rate = GetInt(env, o, "sampleRate", 48000);
  const int channels = GetInt(env, o, "channels", 1);
  if (rate != 8000 && rate != 16000 && rate != 32000 && rate != 48000) {
    Throw(env, "UNSUPPORTED_AUDIO_FORMAT", "sampleRate must be 8000, 16000, 32000 or 48000");
    return nullptr;
  }
  if (channels != 1 && channels != 2) {
    Throw(env, "UNSUPPORTED_AUDIO_FORMAT", "channels must be 1 or 2");
    return nullptr;
  }
  auto proc = std::make_unique<Processor>();
  proc->sample_rate = rate;
  proc->channels = channels;
  webrtc::Config config;
  // The "experimental" AGC drives an analog microphone volume, which Node does not have.
  config.Set<webrtc::ExperimentalAgc>(new webrtc::ExperimentalAgc(false));
  // 128 ms filter, robust to unreliable delays; the delay is estimated internally.
  config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(GetBool(env, o, "extendedFilter", true)));
  config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(GetBool(env, o, "delayAgnostic", true)));
  proc->apm = webrtc::AudioProcessing::Create(config);
  if (!proc->apm) {
    Throw(env, "INTERNAL_ERROR", "webrtc::AudioProcessing::Create() failed");
    return nullptr;
  }
  webrtc::AudioProcessing* apm = proc->apm;
  const int layout_ok = apm->Initialize(rate, rate, rate,
                                        channels == 2 ? webrtc::AudioProcessing::kStereo
                                                      : webrtc::AudioProcessing::kMono,
                                        channels == 2 ? webrtc::AudioProcessing::kStereo
                                                      : webrtc::AudioProcessing::kMono,
                                        channels == 2 ? webrtc::AudioProcessing::kStereo
                                                      : webrtc::AudioProcessing::kMono);
  if (layout_ok != webrtc::AudioProcessing::kNoError) {
    Throw(env, "INTERNAL_ERROR", "AudioProcessing::Initialize failed: " + std::to_string(layout_ok));
    return nullptr;
  }
  int err = 0;
  err |= apm->high_pass_filter()->Enable(GetBool(env, o, "hpf", true));
  if (GetBool(env, o, "aec", true)) {
    err |= apm->echo_cancellation()->enable_drift_compensation(false);
    const int level = GetInt(env, o, "aecLevel", 0);  // 0 low (default: keeps double talk), 1 moderate, 2 high
    err |= apm->echo_cancellation()->set_suppression_level(
        static_cast<webrtc::EchoCancellation::SuppressionLevel>(level < 0 ? 0 : level > 2 ? 2 : level));
    err |= apm->echo_cancellation()->enable_metrics(true);
    err |= apm->echo_cancellation()->enable_delay_logging(true);
    err |= apm->echo_cancellation()->Enable(true);
  }
  if (GetBool(env, o, "agc", true)) {
    err |= apm->gain_control()->set_mode(webrtc::GainControl::kAdaptiveDigital);
    err |= apm->gain_control()->set_target_level_dbfs(GetInt(env, o, "agcTargetDbfs", 3));
    err |= apm->gain_control()->set_compression_gain_db(GetInt(env, o, "agcCompressionGainDb", 9));
    err |= apm->gain_control()->enable_limiter(true);
    err |= apm->gain_control()->Enable(true);
  }
  if (GetBool(env, o, "ns", true)) {
    const int level = GetInt(env, o, "nsLevel", 2);  // 0 low .. 3 very high
    err |= apm->noise_suppression()->set_level(
        static_cast<webrtc::NoiseSuppression::Level>(level < 0 ? 0 : level > 3 ? 3 : level));
    err |= apm->noise_suppression()->Enable(true);
  }
  if (err != 0) {
    Throw(env, "INTERNAL_ERROR", "configuring AudioProcessing failed");
    return nullptr;
  }
  for (webrtc::AudioFrame* f : {&proc->capture, &proc->reverse}) {
    f->sample_rate_hz_ = rate;
    f->num_channels_ = channels;
    f->samples_per_channel_ = rate / 100;
  }
  Processor* raw = proc.release();
  if (napi_wrap(env, self, raw, Finalize, nullptr, nullptr) != napi_ok) {
    delete raw;
    Throw(env, "INTERNAL_ERROR", "napi_wrap failed");
    return nullptr;
  }
  return self;
}

// Returns the Int16Array's data if it holds exactly one 10 ms frame.
int16_t* Frame(napi_env env, Processor* p, napi_value value) {
  bool is_ta = false;
  napi_is_typedarray(env, value, &is_ta);
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (is_ta) napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr);
  if (!is_ta || type != napi_int16_array) {
    Throw(env, "INVALID_PCM_TYPE", "a frame must be an Int16Array");
    return nullptr;
  }
  const size_t want = static_cast<size_t>(p->sample_rate / 100 * p->channels);
  if (length != want) {
    Throw(env, "INVALID_PCM_LENGTH",
          "a frame must hold 10 ms: " + std::to_string(want) + " samples, got " + std::to_string(length));
    return nullptr;
  }
  return static_cast<int16_t*>(data);
}

napi_value ProcessCapture(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Processor* p = Unwrap(env, info, &argc, argv);
  if (!p) return nullptr;
  int16_t* data = argc >= 1 ? Frame(env, p, argv[0]) : nullptr;
  if (!data) {
    if (argc < 1) Throw(env, "INVALID_PARAMS", "processCapture(frame)");
    return nullptr;
  }
  const size_t n = static_cast<size_t>(p->sample_rate / 100 * p->channels);
  std::memcpy(p->capture.data_, data, n * sizeof(int16_t));
  p->capture.sample_rate_hz_ = p->sample_rate;
  p->capture.num_channels_ = p->channels;
  p->capture.samples_per_channel_ = p->sample_rate / 100;
  if (p->apm->echo_cancellation()->is_enabled()) p->apm->set_stream_delay_ms(p->delay_ms);
  const int r = p->apm->ProcessStream(&p->capture);
  if (r != webrtc::AudioProcessing::kNoError && r != webrtc::AudioProcessing::kBadStreamParameterWarning) {
    Throw(env, "INTERNAL_ERROR", "ProcessStream failed: " + std::to_string(r));
    return nullptr;
  }
  std::memcpy(data, p->capture.data_, n * sizeof(int16_t));
  return nullptr;
}

napi_value ProcessReverse(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Processor* p = Unwrap(env, info, &argc, argv);
  if (!p) return nullptr;
  int16_t* data = argc >= 1 ? Frame(env, p, argv[0]) : nullptr;
  if (!data) {
    if (argc < 1) Throw(env, "INVALID_PARAMS", "processReverse(frame)");
    return nullptr;
  }
  const size_t n = static_cast<size_t>(p->sample_rate / 100 * p->channels);
  std::memcpy(p->reverse.data_, data, n * sizeof(int16_t));
  p->reverse.sample_rate_hz_ = p->sample_rate;
  p->reverse.num_channels_ = p->channels;
  p->reverse.samples_per_channel_ = p->sample_rate / 100;
  // AnalyzeReverseStream: the far end is only analysed, never changed.
  const int r = p->apm->AnalyzeReverseStream(&p->reverse);
  if (r != webrtc::AudioProcessing::kNoError) {
    Throw(env, "INTERNAL_ERROR", "AnalyzeReverseStream failed: " + std::to_string(r));
    return nullptr;
  }
  return nullptr;
}

napi_value SetStreamDelayMs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Processor* p = Unwrap(env, info, &argc, argv);
  if (!p) return nullptr;
  int32_t ms = 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &ms) != napi_ok || ms < 0 || ms > 500) {
    Throw(env, "INVALID_PARAMS", "setStreamDelayMs(ms) takes 0..500");
    return nullptr;
  }
  p->delay_ms = ms;
  return nullptr;
}

// { echo: bool, erle: dB, delayMedianMs, delayStdMs, speechProbability }
napi_value Stats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Processor* p = Unwrap(env, info, &argc, nullptr);
  if (!p) return nullptr;
  napi_value out, v;
  napi_create_object(env, &out);
  auto* aec = p->apm->echo_cancellation();
  if (aec->is_enabled()) {
    napi_get_boolean(env, aec->stream_has_echo(), &v);
    napi_set_named_property(env, out, "streamHasEcho", v);
    webrtc::EchoCancellation::Metrics m;
    if (aec->GetMetrics(&m) == webrtc::AudioProcessing::kNoError) {
      napi_create_int32(env, m.echo_return_loss_enhancement.instant, &v);
      napi_set_named_property(env, out, "erleDb", v);
      napi_create_int32(env, m.echo_return_loss.instant, &v);
      napi_set_named_property(env, out, "erlDb", v);
    }
    int median = 0, std = 0;
    float fraction = 0;
    if (aec->GetDelayMetrics(&median, &std, &fraction) == webrtc::AudioProcessing::kNoError) {
      napi_create_int32(env, median, &v);
      napi_set_named_property(env, out, "delayMedianMs", v);
    }
  }
  if (p->apm->noise_suppression()->is_enabled()) {
    napi_create_double(env, p->apm->noise_suppression()->speech_probability(), &v);
    napi_set_named_property(env, out, "speechProbability", v);
  }
  return out;
}

napi_value Close(napi_env env, napi_callback_info info) {
  napi_value self;
  size_t argc = 0;
  napi_get_cb_info(env, info, &argc, nullptr, &self, nullptr);
  void* data = nullptr;
  napi_unwrap(env, self, &data);
  auto* p = static_cast<Processor*>(data);
  if (p && p->apm) {
    delete p->apm;
    p->apm = nullptr;
  }
  return nullptr;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_property_descriptor methods[] = {
      {"processCapture", nullptr, ProcessCapture, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"processReverse", nullptr, ProcessReverse, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setStreamDelayMs", nullptr, SetStreamDelayMs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"stats", nullptr, Stats, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_value cls;
  napi_define_class(env, "NativeAudioProcessor", NAPI_AUTO_LENGTH, New, nullptr,
                    sizeof(methods) / sizeof(methods[0]), methods, &cls);
  napi_set_named_property(env, exports, "NativeAudioProcessor", cls);
  return exports;
}
