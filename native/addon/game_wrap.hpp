#pragma once

#include <napi.h>

#include <memory>

#include "game.hpp"

namespace dilemma::addon {

// new Game(id, params): a game with its parameters checked and resolved.
class GameWrap : public Napi::ObjectWrap<GameWrap> {
 public:
  static constexpr napi_type_tag kTypeTag{0x64696c656d6d612eULL, 0x47616d6500000001ULL};
  static constexpr const char* kClassName = "Game";
  static Napi::Function Define(Napi::Env env);
  static Napi::Value OnCalledAsFunction(const Napi::CallbackInfo& info);
  explicit GameWrap(const Napi::CallbackInfo& info);
  const std::shared_ptr<const Game>& game(Napi::Env env) const;

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  void Dispose(const Napi::CallbackInfo& info);
  std::shared_ptr<const Game> game_;
};

}  // namespace dilemma::addon
