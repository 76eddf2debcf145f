#include "game_wrap.hpp"

#include "addon_data.hpp"
#include "args.hpp"
#include "errors.hpp"

namespace dilemma::addon {

Napi::Function GameWrap::Define(Napi::Env env) {
  return with_methods(DefineClass(env, "Game", {}), {method<GameWrap, &GameWrap::Info>(env, "info"),
                                                    method<GameWrap, &GameWrap::Dispose>(env, "dispose")});
}

Napi::Value GameWrap::OnCalledAsFunction(const Napi::CallbackInfo& info) { called_as_function(info, kClassName); }

GameWrap::GameWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GameWrap>(info) {
  Napi::Env env = info.Env();
  guard(env, [&] {
    const std::string id = string(env, info[0], "game");
    game_ = make_game(id, params(env, info[1], "params"));
  });
  tag_instance<GameWrap>(info);
}

const std::shared_ptr<const Game>& GameWrap::game(Napi::Env env) const {
  if (!game_) throw_error(env, codes::kDisposed, "the game was disposed");
  return game_;
}

Napi::Value GameWrap::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const GameInfo& g = game(env)->info();
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", g.id);
  o.Set("agents", g.agents);
  o.Set("obsDim", g.obs_dim);
  o.Set("actions", g.actions);
  o.Set("maxSteps", g.max_steps);
  o.Set("stateSize", g.state_size);
  o.Set("twoAction", game_->two_action());
  o.Set("statNames", string_array(env, game_->stat_names()));
  return o;
}

void GameWrap::Dispose(const Napi::CallbackInfo&) { game_.reset(); }

}  // namespace dilemma::addon
