// Base of the addon's asynchronous calls: a job that runs off the event loop
// and settles a promise, and that never throws out of its completion.
//
// When a worker_threads Worker is terminated while a job runs, Node still
// runs the completion while it tears the Worker's environment down, where no
// JavaScript may run: building the result or settling the promise fails
// there, and node-addon-api's default completion rethrows that failure out
// of a C callback, which aborts the whole process. Here every failure in the
// completion is caught: in a live environment it rejects the promise (with
// the coded error, e.g. ERR_OUT_OF_MEMORY while building a result), in a
// dying one it is dropped, as nobody is left to hear of it. The job's own
// members (shared pointers, leases, references) keep everything it touches
// alive until it is destroyed, whichever way it ends.
#pragma once

#include <napi.h>

#include "errors.hpp"

namespace dilemma::addon {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  // The promise, for the call that queued the job (a handle of its scope).
  Napi::Promise Promise() const { return Napi::Promise(Env(), promise_); }

  void Execute() final {
    try {
      Run();
    } catch (...) {
      failure_ = current_failure();
      failed_ = true;
    }
  }

  void OnWorkComplete(Napi::Env, napi_status status) final {
    try {
      Finish();
    } catch (...) {
    }
    if (status != napi_cancelled) Settle();
    Destroy();
  }

 protected:
  PromiseWorker(Napi::Env env, const char* resource)
      : Napi::AsyncWorker(env, resource) {
    if (napi_create_promise(env, &deferred_, &promise_) != napi_ok) throw Napi::Error::New(env);
  }
  // Off the event loop: the work itself.
  virtual void Run() = 0;
  // On the event loop, after Run, whether or not JavaScript can run: work
  // that needs no JavaScript (releasing leases, clearing busy flags).
  virtual void Finish() {}
  // On the event loop, after a successful Run: the value to resolve with.
  virtual Napi::Value Result(Napi::Env env) = 0;

 private:
  void Settle() {
    Napi::Env env = Env();
    try {
      Napi::HandleScope scope(env);
      Napi::Value value;
      if (failed_) {
        value = make_error(env, failure_.code, failure_.message).Value();
      } else {
        try {
          value = Result(env);
        } catch (const Napi::Error& e) {
          failed_ = true;
          value = e.Value();
        } catch (...) {
          const Failure f = current_failure();
          failed_ = true;
          value = make_error(env, f.code, f.message).Value();
        }
      }
      // The raw calls report a dying environment by their status; nothing
      // is thrown.
      if (failed_)
        napi_reject_deferred(env, deferred_, value);
      else
        napi_resolve_deferred(env, deferred_, value);
    } catch (...) {
      // The environment is being torn down: no JavaScript is left to tell.
    }
  }

  napi_deferred deferred_ = nullptr;
  napi_value promise_ = nullptr;
  Failure failure_;
  bool failed_ = false;
};

// The promise of a call whose work is small enough to run before the call
// returns: work's failure rejects it with the coded error; otherwise it
// resolves with value(), built after the work (a failure there throws out
// of the call like its argument checks).
template <typename Work, typename Value>
Napi::Promise settled_now(Napi::Env env, Work&& work, Value&& value) {
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  try {
    work();
  } catch (...) {
    const Failure f = current_failure();
    deferred.Reject(make_error(env, f.code, f.message).Value());
    return deferred.Promise();
  }
  deferred.Resolve(value());
  return deferred.Promise();
}

}  // namespace dilemma::addon
