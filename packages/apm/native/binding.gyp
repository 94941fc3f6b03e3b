{
  "targets": [
    {
      "target_name": "patchbay_apm",
      "sources": ["apm.cc"],
      "cflags_cc": ["-std=c++14", "-fexceptions", "<!@(pkg-config --cflags webrtc-audio-processing)"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["<!@(pkg-config --libs webrtc-audio-processing)"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
