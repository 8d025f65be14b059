// Non-Linux builds: an addon that loads but offers nothing, so `npm install` succeeds everywhere and the
// TypeScript side reports ERR_NATIVE_UNAVAILABLE instead of failing to load.
#include <napi.h>

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("unsupported", Napi::Boolean::New(env, true));
  return exports;
}

NODE_API_MODULE(leasekeeper_transport, Init)
