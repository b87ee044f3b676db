"""The Streamlit script behind `distsafe dashboard` (started by `launch.py`; arguments after `--`):

    streamlit run app.py -- [--target RUN_DIR|SWEEP_DIR] [--runs-dir DIR]

Sidebar: start a run (a shipped scenario or an uploaded YAML file, epochs, seed, lever settings); main area:
the run or sweep folder chosen (a run is followed live while its log grows, refreshed every second).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import streamlit as st

from distsafe.analysis.sweep_view import is_sweep_dir
from distsafe.dashboard import runs as R
from distsafe.dashboard import views as V
from distsafe.dashboard.watch import RunWatch
from distsafe.scenarios.loader import list_scenarios

REFRESH_S = 1.0


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="distsafe-dashboard")
    p.add_argument("--target", default="")
    p.add_argument("--runs-dir", default="dashboard_runs")
    a, _ = p.parse_known_args(sys.argv[1:])
    return a


def _int_or_none(text: str, name: str) -> tuple[int | None, str | None]:
    text = text.strip()
    if not text:
        return None, None
    try:
        return int(text), None
    except ValueError:
        return None, f"error: {name}: not a whole number: {text!r}"


def start_panel(runs_dir: Path) -> None:
    st.sidebar.header("Start a run")
    source = st.sidebar.radio("Scenario", ["Shipped scenario", "Upload YAML"], key="source")
    scenario: str | Path | None = None
    if source == "Shipped scenario":
        names = list(list_scenarios())
        scenario = st.sidebar.selectbox(
            "shipped scenario",
            names,
            index=names.index("baseline") if "baseline" in names else 0,
            key="shipped",
        )
    else:
        up = st.sidebar.file_uploader("scenario file (YAML)", type=["yaml", "yml"], key="upload")
        if up is not None:
            scenario = R.save_upload(runs_dir, up.name, up.getvalue())
    epochs_text = st.sidebar.text_input("epochs (empty: the scenario's)", "", key="epochs")
    seed_text = st.sidebar.text_input("seed (empty: the scenario's)", "", key="seed")
    base = R.check_scenario(scenario, [], None, None) if scenario is not None else None
    levers: dict[str, str] = {}
    with st.sidebar.expander("Levers (governance)", expanded=False):
        current = base.spec.governance.model_dump(mode="json") if base is not None and base.spec else {}
        for name, default in R.lever_fields().items():
            levers[name] = st.text_input(name, R.as_text(current.get(name, default)), key=f"lever-{name}")
    if st.sidebar.button("Start run", type="primary", key="start"):
        if scenario is None:
            st.session_state["start_error"] = "error: upload a scenario file first"
            return
        epochs, e1 = _int_or_none(epochs_text, "epochs")
        seed, e2 = _int_or_none(seed_text, "seed")
        if e1 or e2:
            st.session_state["start_error"] = e1 or e2
            return
        if base is None or base.spec is None:  # the file itself is refused: the loader's line
            st.session_state["start_error"] = base.error if base is not None else "error: no scenario"
            return
        checked = R.check_scenario(scenario, R.lever_overrides(base.spec, levers), epochs, seed)
        if checked.error is not None or checked.spec is None:
            st.session_state["start_error"] = checked.error
            return
        out = R.new_run_dir(runs_dir, checked.spec.scenario_id)
        st.session_state["procs"] = st.session_state.get("procs", []) + [
            R.start_run(scenario, checked.overrides, out)
        ]
        st.session_state["start_error"] = None
        st.session_state["target"] = str(out)
        st.session_state["target_n"] = st.session_state.get("target_n", 0) + 1  # a fresh box showing it


@st.fragment(run_every=REFRESH_S)
def live_run(folder: Path) -> None:
    if not folder.is_dir():
        st.info(f"{folder}: waiting for the folder (a run being started), or no such folder")
        return
    watches: dict[str, RunWatch] = st.session_state.setdefault("watches", {})
    watch = watches.setdefault(str(folder), RunWatch(folder))
    history = watch.refresh()
    err = R.run_error(folder)
    if err is not None:
        st.error(err)
    if history is None:
        st.info(watch.waiting or "waiting for the run to start")
        return
    V.run_view(history, folder, key="run")
    if watch.ended:
        st.rerun(scope="app")  # the run ended: draw it once more without the timer


def main() -> None:
    args = _args()
    st.set_page_config(page_title="distsafe dashboard", layout="wide")
    st.title("distsafe dashboard")
    runs_dir = Path(args.runs_dir)
    st.session_state["procs"] = [
        p for p in st.session_state.get("procs", []) if p.poll() is None
    ]  # reap ended
    st.session_state.setdefault("target", args.target)
    start_panel(runs_dir)
    if st.session_state.get("start_error"):
        st.error(st.session_state["start_error"])
    target = st.text_input(
        "Run or sweep folder", st.session_state["target"], key=f"target-{st.session_state.get('target_n', 0)}"
    ).strip()
    if not target:
        st.info(
            "Start a run in the sidebar, or give a run folder (`distsafe run --out DIR`) or a sweep folder."
        )
        return
    folder = Path(target)
    if folder.is_dir() and is_sweep_dir(folder):
        V.sweep_view(folder)
        return
    watches: dict[str, RunWatch] = st.session_state.setdefault("watches", {})
    watch = watches.get(str(folder))
    if watch is not None and watch.ended and watch.history is not None:
        V.run_view(watch.history, folder, key="run")
    else:
        live_run(folder)


main()
