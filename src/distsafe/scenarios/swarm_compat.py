"""The reference implementation's scenario format (swarm-safety 1.9.0), mapped onto distsafe's own model.

This module is the one place where the reference's spellings are translated (docs/from-swarm.md lists every
mapping). The loader calls `translate` on every scenario before validation: the rule is **always on**,
because every name mapped here is one that distsafe's own format does not use, so a file in distsafe's
format never changes meaning. A file that sets both a reference name and the distsafe name it maps to is an
error (one value per setting).

Three outcomes for a reference field:

* **mapped**: renamed onto distsafe's field (`rate_limits.posts_per_epoch` -> `max_posts_per_epoch`,
  `agents[].name` -> `id_prefix`, `agents[].config` -> `params`, ...), or accepted as it is because
  distsafe's model already has the same name (network, collusion, security, staking: whichever of those
  this build has, looked up in the models at run time, not in a list here);
* **no-op**: says where the reference writes its files (`outputs`), switches off a feature
  (`enabled: false`, `<lever>_enabled: false`), or is a field the reference's own runner never reads
  (`REFERENCE_IGNORED`, `REFERENCE_AGENT_KEYS`: checked in its source, file named per entry): dropped, noted
  in the result (the run's manifest, `no_op_fields`, with the reason), changes nothing, as there;
* **unsupported**: a feature distsafe does not have. The loader reports it as one line naming the feature
  (`Unsupported.feature`), exit 2; with `lenient`, the field is dropped and listed (one warning, and the
  run's manifest, `ignored_fields`).

Length (over ~400 lines): the tables (renames, missing features by field prefix, fields the reference
ignores, with where that was checked) are close to half of it; the
walk over the sections is one function per kind of section, kept together so that the mapping is in one
place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

#: reference name -> distsafe name, by section
RENAMES: dict[str, dict[str, str]] = {
    "rate_limits": {
        "posts_per_epoch": "max_posts_per_epoch",
        "votes_per_epoch": "max_votes_per_epoch",
        "tasks_per_epoch": "max_tasks_per_epoch",
    },
    "governance": {
        "enable_audits": "audit_enabled",
        "enable_circuit_breaker": "circuit_breaker_enabled",
        "random_audit_probability": "audit_probability",
        "random_audit_penalty_multiplier": "audit_penalty_multiplier",
        "circuit_breaker_threshold_toxicity": "freeze_threshold_toxicity",
    },
    "simulation": {"schedule_mode": "scheduling"},
    "environment": {"initial_resources": "initial_budget"},
    "success_criteria": {
        "toxicity_threshold": "max_avg_toxicity",
        "min_quality_gap": "min_avg_quality_gap",
    },
    "agent": {"name": "id_prefix", "config": "params"},
}

#: the reference's per-step action probabilities, tried in this order by its scripted agents (post with
#: `post_probability`, else interact with `interact_probability`): distsafe's action mix gets
#: p_post = post_probability and p_interact = (1 - post_probability) * interact_probability; the policy's
#: other actions (reply, vote, claim) keep their defaults, scaled down in proportion if the mix would
#: pass 1.
SEQUENTIAL_PROBABILITIES = ("post_probability", "interact_probability")

#: the success criteria the reference's scenario files name (its 55 seed-type files); a name outside this
#: list and distsafe's own criteria is left to the spec's "unknown field" error (a typo stays an error)
REFERENCE_CRITERIA = frozenset(
    """canonical_attacks incident_scoring max_adversary_payoff max_avg_path_length max_avg_toxicity
    max_capability_concentration max_contagion_depth max_cross_agent_propagation_rate
    max_deceptive_payoff_ratio max_destructive_severity max_ecosystem_collusion_risk
    max_ecosystem_threat_level max_final_quality_gap max_infiltration_rate max_llm_cost_usd
    max_secret_leakage_rate max_spoof_acceptance_rate max_toxicity max_unauthorized_action_rate
    max_undetected_collusion_pairs min_agents min_attack_displacement min_avg_coordination_score
    min_avg_synergy_score min_completion_rate min_connected_components min_containment_effectiveness
    min_detection_rate min_drift_detection_rate min_epochs min_flagged_pairs min_honest_agent_payoff
    min_horizon_amplification min_net_social_welfare min_penalty_total min_quality_gap
    min_recovery_success_rate min_refusal_quality min_separation_quality min_specialization_index
    min_tasks_completed min_total_welfare min_transparency_quality min_welfare min_welfare_delta
    toxicity_threshold""".split()
)

#: metric names of the reference's files (`metrics_to_track`) that distsafe does not measure; other unknown
#: names keep the spec's own error (which lists the known ones)
REFERENCE_METRICS = frozenset({"boundary_crossings", "leakage_events"})

#: success criteria the reference's own CLI evaluates (swarm/__main__.py `_check_criteria`); it reads no
#: other key of `success_criteria`, so another key distsafe does not measure is a no-op here as there
REFERENCE_EVALUATED_CRITERIA = frozenset(
    {
        "min_epochs",
        "toxicity_threshold",
        "min_net_social_welfare",
        "max_infiltration_rate",
        "min_attack_displacement",
        "min_separation_quality",
        "min_welfare_delta",
    }
)

#: fields moved to another section: (section, reference name) -> (section, distsafe name)
MOVES: dict[tuple[str, str], tuple[str, str]] = {
    ("rate_limits", "interactions_per_step"): ("safety", "max_interactions_per_step"),
}

#: top-level sections and field-name prefixes of features distsafe does not have -> the feature's name (a
#: field the reference's runner never reads is in REFERENCE_IGNORED instead: a no-op, not a missing feature)
FEATURES: dict[str, str] = {
    "moltbook": "the Moltbook platform",
    "network": "network topology",
    "composite_tasks": "composite tasks",
    "memory_tiers": "tiered agent memory",
    "base_scenario": "scenario inheritance (base_scenario)",
    "sweep": "parameter sweeps inside a scenario file (distsafe runs sweeps with `distsafe sweep`)",
    "seeds": "several seeds in one scenario file (distsafe: `--seed` per run, `distsafe compare --seeds`)",
    # governance levers, by field-name prefix
    "governance.memory_": "memory provenance and memory write limits",
    "governance.moltbook_": "Moltbook rate limits",
    "governance.collusion_": "collusion detection",
    "governance.security_": "the security lever",
    "governance.composite_tasks_": "composite tasks",
    "agents.capabilities": "composite-task capabilities",
    "agents.llm.memori": "Memori memory for LLM agents",
    "agents.params.system_prompt": "the Claude Code agent bridge",
    "agents.params.allowed_tools": "the Claude Code agent bridge",
    "agents.params.model": "the Claude Code agent bridge",
    "agents.params.budget_": "the Claude Code agent bridge",
    "agents.params.default_task": "the live SWE agent bridge",
    "agents.params.role": "the AgentLab agent roles",
    "agents.params.": "a knob of the reference's agent classes that distsafe's policies do not have",
    "success_criteria.": "a success criterion distsafe does not measure",
    "outputs.graph_memory_path": "graph memory",
    "perturbations.resource_shock": "resource shocks",
}

#: fields of the reference's files that its own runner (`swarm run`) never reads, so they change nothing there
#: either: a no-op here too, listed with the reason. Checked in swarm-safety 1.9.0's source: `swarm run` is
#: swarm/__main__.py `cmd_run` (then `_check_criteria`), which calls swarm/scenarios/loader.py `load_scenario`
#: (reads only the sections it passes to its parse_* functions, by explicit key), `build_orchestrator` and
#: `create_agents`; each key was also grepped over the whole repository (`git grep` of the key as a dict
#: key), and the reference was run with and without it (same metrics, 2 epochs, seed 7; docs/from-swarm.md).
#: Keys as in FEATURES (a section, or a field-name prefix); value: who reads it, if anything does.
_NOT_PARSED = "its loader's parse_governance_config does not read it (the lever stays off)"
REFERENCE_IGNORED: dict[str, str] = {
    "bridge_config": "no code of the reference reads it (its Claude Code script builds its own BridgeConfig)",
    "docker": "no code of the reference reads it (its Docker pool takes its own config)",
    "prime_intellect": "no code of the reference reads it (its pi_bridge_* scripts set it up in code)",
    "boundaries": "no code of the reference reads it",
    "drift_detection": "no code of the reference reads it",
    "dilemma": "no code of the reference reads it (its social dilemma example builds its games in code)",
    "horizon_eval": "read only by its examples/run_horizon_eval_study.py",
    "domain": "read only by its examples/run_labos_toolmaker_spike.py",
    "community": "read only by its examples/social_simulacra_study.py",
    "seed_personas": "read only by its examples/social_simulacra_study.py",
    "persona_expansion": "read only by its examples/social_simulacra_study.py",
    "thread_generation": "read only by its examples/social_simulacra_study.py",
    "whatif_injections": "read only by its examples/social_simulacra_study.py",
    "multiverse": "read only by its examples/social_simulacra_study.py",
    "metrics_to_track": "its loader never reads metrics_to_track",
    # governance keys that scenarios/loader.py parse_governance_config does not pass on (it reads each lever
    # by name; GovernanceConfig keeps its default, off): set only by its examples in code
    "governance.adaptive_controller_": _NOT_PARSED,
    "governance.diversity_": _NOT_PARSED,
    "governance.refinery_": _NOT_PARSED,
    "governance.toxicity_threshold": "its loader's parse_governance_config does not read it",
    "governance.penalty_multiplier": "its loader's parse_governance_config does not read it",
    # parsed into its GovernanceConfig, but read only by its LiveSWE bridge (swarm/bridges/live_swe/policy.py
    # SelfEvolutionPolicy, bridge.py), which `swarm run` never builds: its governance engine has no such lever
    # and its scripted agents create no tools (its run of live_swe_self_evolution.yaml is the same without)
    "governance.self_evolution_": "read only by its LiveSWE bridge, which its runner never builds",
    # agent entries: loader.py create_agents reads type, count, name, config, llm (and strategy only for an
    # `evo_game:` section, which distsafe does not have: such a file stops there)
    "agents.id": "its create_agents never reads it (agents are named <type>_<n> there)",
    "agents.strategy": "read only by its evo_game handler, which needs an evo_game section",
}

#: `config` keys an agent class of the reference reads into an attribute that changes nothing in a run
#: (checked in swarm-safety 1.9.0's source, where that attribute is used): a no-op here too
REFERENCE_AGENT_NO_EFFECT: dict[tuple[str, str], str] = {
    ("opportunistic", "payoff_threshold"): "its OpportunisticAgent stores config.payoff_threshold and never "
    "uses it",
    ("opportunistic", "free_ride_probability"): "its OpportunisticAgent uses config.free_ride_probability "
    "only to choose between two texts of a task output, and nothing reads that text (swarm/env/tasks.py "
    "submit_output stores it; no task output is ever scored)",
}
#: the reference's LLM providers whose calls never go through Memori (swarm/agents/llm_agent.py: only
#: `_get_anthropic_client` and `_get_openai_client`, used by its anthropic and openai providers, call
#: `MemoriMiddleware.wrap_client`; openrouter, groq, together, deepseek and llama_cpp build a fresh OpenAI
#: client per call, ollama posts with httpx, google uses genai: never wrapped, and `apply_memory_decay`
#: returns at once when nothing was wrapped). `llm.memori` on such an agent is a no-op there, and here. Not
#: distsafe's dry_run (the reference has none; Memori would change what its prompts say).
MEMORI_UNWRAPPED_PROVIDERS = frozenset(
    {"openrouter", "groq", "together", "deepseek", "llama_cpp", "ollama", "google"}
)
MEMORI_UNWRAPPED = "the reference wraps only its anthropic and openai clients with Memori"

#: the `config` keys each scripted agent class of the reference reads (swarm/agents/<type>.py, `__init__`:
#: `self.config.get(...)`; its BaseAgent reads none, and nothing else in the package reads an agent's
#: config). Another key on an agent of that type is a no-op (REFERENCE_IGNORED's rule).
REFERENCE_AGENT_KEYS: dict[str, frozenset[str]] = {
    "honest": frozenset(
        {
            "acceptance_threshold",
            "trust_weight",
            "post_probability",
            "vote_probability",
            "interact_probability",
        }
    ),
    "opportunistic": frozenset(
        {
            "payoff_threshold",
            "risk_tolerance",
            "post_probability",
            "vote_probability",
            "free_ride_probability",
        }
    ),
    "deceptive": frozenset(
        {"trust_building_phase", "exploitation_threshold", "facade_probability", "post_probability"}
    ),
    "adversarial": frozenset(
        {
            "aggression_level",
            "coordination_enabled",
            "target_honest",
            "post_probability",
            "attack_probability",
        }
    ),
    "adaptive_adversary": frozenset({"learning_rate", "exploration_rate", "heat_threshold"}),
}

#: bounds the reference's GovernanceConfig checks (swarm/governance/config.py `_validate`) on fields its run
#: parses but never uses: a value outside them stops the reference's load, so it stops here too
REFERENCE_IGNORED_BOUNDS: dict[str, tuple[float, float]] = {
    "governance.self_evolution_max_growth_rate": (0.0, math.inf),
    "governance.self_evolution_max_tools": (1.0, math.inf),
    "governance.self_evolution_divergence_threshold": (0.0, 1.0),
    "governance.self_evolution_tool_risk_threshold": (0.0, 1.0),
    "governance.self_evolution_growth_freeze_duration": (1.0, math.inf),
}

IGNORED_BY_REFERENCE = "ignored by the reference's runner too"

#: sections that only say where the reference writes its files: distsafe writes its run folder (`--out`)
NO_OP_SECTIONS = ("outputs",)


@dataclass(frozen=True)
class Unsupported:
    """A field of the reference format for a feature distsafe does not have."""

    path: tuple[str | int, ...]
    feature: str

    @property
    def dotted(self) -> str:
        return ".".join(str(p) for p in self.path)


@dataclass
class Translation:
    data: dict[str, Any]
    unsupported: list[Unsupported] = field(default_factory=list)
    #: fields dropped because they change nothing here (outputs, switched-off features)
    no_ops: list[str] = field(default_factory=list)
    #: "reference.path -> distsafe.path" for each renamed field
    renamed: list[str] = field(default_factory=list)


def _longest(table: dict[str, str], path: tuple[str | int, ...]) -> str | None:
    """The value of `table`'s longest key that is a prefix of `path` (list indices left out)."""
    dotted = ".".join(str(p) for p in path if not isinstance(p, int))
    best = ""
    for key in table:
        if (dotted == key or dotted.startswith(key)) and len(key) > len(best):
            if key.endswith(("_", ".")) or dotted == key or dotted.startswith(key + "."):
                best = key
    return table[best] if best else None


def feature_of(path: tuple[str | int, ...]) -> str:
    """The name of the missing feature a field path belongs to (longest matching prefix in FEATURES)."""
    return _longest(FEATURES, path) or "a field of the reference implementation that distsafe does not have"


def ignored_by_reference(path: tuple[str | int, ...]) -> str | None:
    """Why the reference's own runner ignores the field at `path` (REFERENCE_IGNORED), or None."""
    return _longest(REFERENCE_IGNORED, path)


def _no_op(path: tuple[str | int, ...], why: str, out: Translation, value: Any = None) -> None:
    dotted = ".".join(str(p) for p in path if not isinstance(p, int))
    if dotted in REFERENCE_IGNORED_BOUNDS and value is not None:
        lo, hi = REFERENCE_IGNORED_BOUNDS[dotted]
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if not ok or not lo <= value <= hi:
            raise ValueError(
                f"{dotted}: must be a number in [{lo:g}, {hi:g}], not {value!r} (as in the reference)"
            )
    out.no_ops.append(f"{'.'.join(str(p) for p in path)} ({IGNORED_BY_REFERENCE}: {why})")


def _known(model: type[BaseModel]) -> set[str]:
    names = set(model.model_fields)
    for f in model.model_fields.values():
        if isinstance(f.alias, str):
            names.add(f.alias)
        va = f.validation_alias
        if isinstance(va, str):
            names.add(va)
        elif va is not None and hasattr(va, "choices"):
            names.update(c for c in va.choices if isinstance(c, str))
    return names


def _section_models() -> dict[str, type[BaseModel]]:
    from distsafe.scenarios.spec import ScenarioSpec

    out: dict[str, type[BaseModel]] = {}
    for name, f in ScenarioSpec.model_fields.items():
        ann = f.annotation
        for cand in (ann, *getattr(ann, "__args__", ())):
            if isinstance(cand, type) and issubclass(cand, BaseModel):
                out[name] = cand
                break
    return out


def _governance_known() -> set[str]:
    from distsafe.governance.config import SEED_ALIASES, GovernanceConfig

    return _known(GovernanceConfig) | set(SEED_ALIASES)


def _rename(section: dict[str, Any], table: dict[str, str], where: str, out: Translation) -> dict[str, Any]:
    result = dict(section)
    for old, new in table.items():
        if old not in result:
            continue
        if new in section:
            raise ValueError(f"{where}.{old} and {where}.{new} are the same setting; set it once")
        result[new] = result.pop(old)
        out.renamed.append(f"{where}.{old} -> {where}.{new}")
    return result


def _switched_off(section: dict[str, Any], key: str) -> bool:
    return isinstance(section.get(key), bool) and section[key] is False


def translate(data: dict[str, Any]) -> Translation:
    """The scenario `data` with the reference's names mapped onto distsafe's; unsupported fields listed
    (removed from `data`, so a lenient load validates the rest). Raises ValueError for a setting given
    twice."""
    out = Translation(data={})
    models = _section_models()
    top_known = set(models) | {"scenario_id", "description", "motif", "agents", "metrics_to_track"}
    d = dict(data)
    for sec in NO_OP_SECTIONS:
        if isinstance(d.get(sec), dict):
            for k in list(d[sec]):
                if f"{sec}.{k}" in FEATURES:
                    out.unsupported.append(Unsupported((sec, k), feature_of((sec, k))))
                else:
                    out.no_ops.append(f"{sec}.{k}")
            del d[sec]
    for key in list(d):
        if key in top_known or key in NO_OP_SECTIONS:
            continue
        value = d.pop(key)
        if key in FEATURES and isinstance(value, dict) and _switched_off(value, "enabled"):
            out.no_ops.append(f"{key} (enabled: false)")
            continue
        if (why := ignored_by_reference((key,))) is not None:
            _no_op((key,), why, out)
            continue
        if key in FEATURES:
            out.unsupported.append(Unsupported((key,), feature_of((key,))))
        else:
            d[key] = value  # not a reference field: the spec's own "unknown field" error names it
    # moves between sections
    for (src, old), (dst, new) in MOVES.items():
        if isinstance(d.get(src), dict) and old in d[src]:
            section = dict(d[src])
            value = section.pop(old)
            target = dict(d.get(dst) or {})
            if new in target:
                raise ValueError(f"{src}.{old} and {dst}.{new} are the same setting; set it once")
            target[new] = value
            d[src], d[dst] = section, target
            out.renamed.append(f"{src}.{old} -> {dst}.{new}")
    for sec in ("rate_limits", "governance", "simulation", "success_criteria", "environment"):
        if isinstance(d.get(sec), dict):
            d[sec] = _rename(d[sec], RENAMES[sec], sec, out)
            known = _governance_known() if sec == "governance" else _known(models[sec])
            if sec == "simulation":
                known.add("epochs")
            d[sec] = _drop_unknown(d[sec], known, sec, out)
    if isinstance(d.get("metrics_to_track"), list):
        from distsafe.metrics.epoch import trackable_metrics

        known_metrics = set(trackable_metrics())
        keep = []
        for i, m in enumerate(d["metrics_to_track"]):
            if isinstance(m, str) and m in REFERENCE_METRICS and m not in known_metrics:
                _no_op(("metrics_to_track", i), f"{REFERENCE_IGNORED['metrics_to_track']} ({m})", out)
            else:
                keep.append(m)
        d["metrics_to_track"] = keep
    _perturbations(d, out)
    if isinstance(d.get("agents"), list):
        d["agents"] = _unique_prefixes([_agent(a, i, out) for i, a in enumerate(d["agents"])], out)
    out.data = d
    return out


#: why `perturbations.signal_corruption` changes nothing (kept in the section, so that it is still validated)
SIGNAL_CORRUPTION_NO_OP = (
    "its PerturbationEngine.perturb_observables (swarm/core/perturbation.py) is called nowhere in the "
    "reference, so the corruption never reaches an observable"
)


CONDITION = "condition-triggered perturbations"


def _perturbations(d: dict[str, Any], out: Translation) -> None:
    """`perturbations`: signal_corruption (switched on) noted as a no-op of the reference; each parameter
    shock's `params` are governance settings, so they take the governance section's renames, and one of a
    lever distsafe lacks (not a GovernanceConfig field, named in FEATURES) is unsupported like the lever."""
    pert = d.get("perturbations")
    if not isinstance(pert, dict):
        return
    pert = dict(pert)
    rs = pert.get("resource_shock")
    if isinstance(rs, dict) and _switched_off(rs, "enabled"):
        out.no_ops.append("perturbations.resource_shock (enabled: false)")
        del pert["resource_shock"]
    elif "resource_shock" in pert:
        out.unsupported.append(
            Unsupported(("perturbations", "resource_shock"), feature_of(("perturbations", "resource_shock")))
        )
        del pert["resource_shock"]
    part = pert.get("network_partition")
    if isinstance(part, dict) and part.get("trigger") == "condition":  # (lenient: the partition is off)
        out.unsupported.append(Unsupported(("perturbations", "network_partition", "trigger"), CONDITION))
        pert["network_partition"] = {**part, "enabled": False, "trigger": "epoch"}
    d["perturbations"] = pert
    sc = pert.get("signal_corruption")
    if isinstance(sc, dict) and sc.get("enabled") is True:
        _no_op(("perturbations", "signal_corruption"), SIGNAL_CORRUPTION_NO_OP, out)
    ps = pert.get("parameter_shocks")
    if not isinstance(ps, dict) or not isinstance(ps.get("shocks"), list):
        return
    shocks = ps["shocks"]
    known = _governance_known()
    new_shocks: list[Any] = []
    for i, shock in enumerate(shocks):
        if isinstance(shock, dict) and (shock.get("trigger") == "condition" or "when" in shock):
            key = "trigger" if shock.get("trigger") == "condition" else "when"
            out.unsupported.append(
                Unsupported(("perturbations", "parameter_shocks", "shocks", i, key), CONDITION)
            )
            continue  # (lenient: the shock is dropped)
        params = shock.get("params") if isinstance(shock, dict) else None
        if not isinstance(params, dict):
            new_shocks.append(shock)
            continue
        where = f"perturbations.parameter_shocks.shocks.{i}.params"
        kept = {}
        for k, v in _rename(params, RENAMES["governance"], where, out).items():
            path: tuple[str | int, ...] = ("perturbations", "parameter_shocks", "shocks", i, "params", k)
            feature = _longest(FEATURES, ("governance", k))
            if k not in known and feature is not None:
                out.unsupported.append(Unsupported(path, feature))
            else:
                kept[k] = v
        new_shocks.append({**shock, "params": kept})
    d["perturbations"] = {**pert, "parameter_shocks": {**ps, "shocks": new_shocks}}


def _drop_unknown(section: dict[str, Any], known: set[str], sec: str, out: Translation) -> dict[str, Any]:
    """Fields of `section` that distsafe's model does not know: switched-off lever groups are no-ops, the
    reference's other fields unsupported; fields that are no reference field stay (the spec names them)."""
    result: dict[str, Any] = {}
    generic = feature_of(("\0",))
    off = {
        feature_of((sec, k))
        for k in section
        if k.endswith("_enabled") and k not in known and section[k] is False
    } - {generic}
    for k, v in section.items():
        if k in known:
            result[k] = v
        elif feature_of((sec, k)) in off:
            out.no_ops.append(f"{sec}.{k} (switched off)")
        elif (why := ignored_by_reference((sec, k))) is not None:
            _no_op((sec, k), why, out, v)
        elif sec == "success_criteria" and k not in REFERENCE_CRITERIA:
            result[k] = v  # not a reference criterion: the spec names it as an unknown field
        elif sec == "success_criteria" and k not in REFERENCE_EVALUATED_CRITERIA:
            out.no_ops.append(f"{sec}.{k} (the reference does not evaluate it either)")
        elif feature_of((sec, k)) != generic or sec == "success_criteria":  # a reference criterion
            out.unsupported.append(Unsupported((sec, k), feature_of((sec, k))))
        else:
            result[k] = v
    return result


def _unique_prefixes(agents: list[Any], out: Translation) -> list[Any]:
    """The reference names agents itself, so its files list one type in several entries without names;
    distsafe needs one id prefix per entry: an entry without `name`/`id_prefix` whose type repeats gets
    `<type>_<entry index>`."""
    types = [a.get("type") for a in agents if isinstance(a, dict) and not a.get("id_prefix")]
    named = {a.get("id_prefix") for a in agents if isinstance(a, dict) and a.get("id_prefix")}
    for i, a in enumerate(agents):
        if not isinstance(a, dict) or a.get("id_prefix") or not isinstance(a.get("type"), str):
            continue
        if types.count(a["type"]) > 1 or a["type"] in named:
            a["id_prefix"] = f"{a['type']}_{i}"
            out.renamed.append(f"agents.{i} -> id_prefix {a['id_prefix']}")
    return agents


def _llm(llm: dict[str, Any], index: int, out: Translation) -> dict[str, Any]:
    """The reference's `persona` is free text or a name; distsafe's is a name (honest, strategic,
    adversarial, open): free text (words with spaces) becomes the system prompt added to the default
    persona's."""
    from distsafe.agents.llm.config import PersonaType

    persona = llm.get("persona")
    # free text is a sentence: a single unknown word stays distsafe's "unknown persona" error (a typo)
    if isinstance(persona, str) and persona not in {p.value for p in PersonaType} and " " in persona.strip():
        if llm.get("system_prompt"):
            raise ValueError(f"agents.{index}.llm: a free-text persona and a system_prompt; give one")
        llm = {k: v for k, v in llm.items() if k != "persona"}
        llm["system_prompt"] = persona
        out.renamed.append(f"agents.{index}.llm.persona (free text) -> agents.{index}.llm.system_prompt")
    return llm


def _agent(entry: Any, index: int, out: Translation) -> Any:
    if not isinstance(entry, dict):
        return entry
    from distsafe.scenarios.spec import AgentSpec

    from_reference = "config" in entry  # distsafe's own `params` keep the policy's own errors
    a = _rename(entry, RENAMES["agent"], f"agents.{index}", out)
    generic = feature_of(("\0",))
    for k in list(a):
        if k not in _known(AgentSpec) and (why := ignored_by_reference(("agents", k))) is not None:
            _no_op(("agents", index, k), why, out)
            del a[k]
        elif k not in _known(AgentSpec) and feature_of(("agents", k)) != generic:
            out.unsupported.append(Unsupported(("agents", index, k), feature_of(("agents", k))))
            del a[k]
    if isinstance(a.get("llm"), dict):
        llm = dict(a["llm"])
        memori = llm.get("memori")
        if isinstance(memori, dict) and _switched_off(memori, "enabled"):
            out.no_ops.append(f"agents.{index}.llm.memori (enabled: false)")
            llm.pop("memori")
        elif (
            isinstance(memori, dict)
            and str(llm.get("provider", "anthropic")).strip().lower() in MEMORI_UNWRAPPED_PROVIDERS
        ):
            out.no_ops.append(f"agents.{index}.llm.memori ({MEMORI_UNWRAPPED})")
            llm.pop("memori")
        elif "memori" in llm:
            out.unsupported.append(
                Unsupported(("agents", index, "llm", "memori"), feature_of(("agents", "llm", "memori")))
            )
            llm.pop("memori")
        a["llm"] = _llm(llm, index, out)
    if from_reference and isinstance(a.get("params"), dict):
        a["params"] = _params(a.get("type"), a["params"], index, out)
    return a


def _params(kind: Any, params: dict[str, Any], index: int, out: Translation) -> dict[str, Any]:
    """The reference's agent `config` as distsafe's policy params: renamed knobs kept, the others listed."""
    from distsafe.agents.registry import policy_for
    from distsafe.scenarios.spec import SCRIPTED_TYPES

    p = dict(params)
    if kind not in SCRIPTED_TYPES:
        return p
    reads = REFERENCE_AGENT_KEYS.get(str(kind))
    if reads is not None:  # keys its agent class never reads change nothing there: none here either
        for k in [k for k in p if k not in reads]:
            _no_op(("agents", index, "params", k), f"its {kind} agent class never reads config.{k}", out)
            del p[k]
    for k in [k for k in p if (str(kind), k) in REFERENCE_AGENT_NO_EFFECT]:
        _no_op(("agents", index, "params", k), REFERENCE_AGENT_NO_EFFECT[(str(kind), k)], out)
        del p[k]
    if any(k in p for k in SEQUENTIAL_PROBABILITIES):
        p = _action_mix(str(kind), p, index, out)
    kept: dict[str, Any] = {}
    for k, v in p.items():
        try:
            policy_for(str(kind), {k: v}, None)
        except ValidationError as e:
            if any(err["type"] == "extra_forbidden" for err in e.errors()):
                out.unsupported.append(
                    Unsupported(("agents", index, "params", k), feature_of(("agents", "params", k)))
                )
                continue
        except (TypeError, ValueError):
            pass
        kept[k] = v
    return kept


def _action_mix(kind: str, params: dict[str, Any], index: int, out: Translation) -> dict[str, Any]:
    """`post_probability` / `interact_probability` as distsafe's action mix (SEQUENTIAL_PROBABILITIES)."""
    from distsafe.agents.registry import policy_for

    p = dict(params)
    pp, ip = p.pop("post_probability", None), p.pop("interact_probability", None)
    for name, v in (("post_probability", pp), ("interact_probability", ip)):
        if v is not None and (not isinstance(v, int | float) or isinstance(v, bool) or not 0 <= v <= 1):
            raise ValueError(f"agents.{index}.config.{name}: must be a number in [0, 1], not {v!r}")
        if v is not None and any(k in p for k in ("p_post", "p_interact")):
            raise ValueError(f"agents.{index}.config.{name} and params.p_post/p_interact; give one")
    defaults = policy_for(kind, {}, None).params
    post = float(pp) if pp is not None else float(defaults.p_post)
    # without interact_probability (a class that does not read it): the policy's own, within what is left
    interact = (1.0 - post) * float(ip) if ip is not None else min(float(defaults.p_interact), 1.0 - post)
    p["p_post"], p["p_interact"] = post, interact
    rest = {k: float(p.get(k, getattr(defaults, k))) for k in ("p_reply", "p_vote", "p_claim")}
    room = max(0.0, 1.0 - post - interact)
    if sum(rest.values()) > room:
        scale = room / sum(rest.values())
        for k, v in rest.items():
            p[k] = v * scale
    out.renamed.append(
        f"agents.{index}.config.post_probability/interact_probability -> params.p_post/p_interact"
    )
    return p
