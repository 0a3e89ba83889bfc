"""Re-running cells works like a notebook: a learner defines a message enum, a node struct and
its `impl Node`, runs a simulation, then edits and re-runs any of those cells, with no restart.
Earlier definitions are replaced; what no longer fits them is dropped with a note naming it;
errors name the cell line they come from."""

from conftest import outputs_of, stream_text

CYCLES = 20


def run(kernel, code):
    """Runs a cell: (reply content, execute_result data or None, stderr text)."""
    reply, outputs = kernel.execute(code, timeout=300)
    results = outputs_of(outputs, "execute_result")
    return reply["content"], results[0]["data"] if results else None, stream_text(outputs, "stderr")


def ok(kernel, code):
    content, data, stderr = run(kernel, code)
    assert content["status"] == "ok", (code, content)
    return data, stderr


def error(kernel, code):
    content, _, stderr = run(kernel, code)
    assert content["status"] == "error", (code, content)
    return content, stderr


def enum_cell(cycle):
    return f"#[derive(Clone, Debug)]\nenum Msg {{ Put(u64), Ack(u64), Note{cycle}(u8) }}"


def struct_cell(cycle):
    return f"struct Replica {{ value: u64, copies_{cycle}: u64 }}"


def impl_cell(cycle, copies, typo=False):
    # Line 5 names the field; with `typo` it names one that does not exist.
    field = f"copiez_{cycle}" if typo else f"copies_{cycle}"
    return (
        "impl Node<Msg> for Replica {\n"
        "    fn on_message(&mut self, ctx: &mut Ctx<Msg>, from: NodeId, msg: Msg) {\n"
        "        if let Msg::Put(v) = msg {\n"
        "            self.value = v;\n"
        f"            self.{field} = {copies};\n"
        f"            for _ in 0..self.copies_{cycle} {{ ctx.send(from, Msg::Ack(v)) }}\n"
        "        }\n"
        "    }\n"
        "}"
    )


def sim_cell(cycle):
    return (
        "Sim::new(Net::new())\n"
        f"    .node(|_| Replica {{ value: 0, copies_{cycle}: 0 }})\n"
        "    .client(|_| FnNode::new((), |_, ctx: &mut Ctx<Msg>, _, msg| {\n"
        "        if let Msg::Ack(v) = msg { ctx.record(\"ack\", v as f64) }\n"
        f"    }}).on_start(|_, ctx| ctx.send(0, Msg::Put({cycle}))))\n"
        f"    .run({cycle}).observed(\"ack\").count()"
    )


def test_twenty_cycles_of_edits_without_a_restart(kernel):
    ok(kernel, enum_cell(0))
    ok(kernel, struct_cell(0))
    ok(kernel, impl_cell(0, 1))
    data, _ = ok(kernel, sim_cell(0))
    assert data["text/plain"] == "1"
    for cycle in range(1, CYCLES + 1):
        copies = cycle % 4 + 1
        # The enum first, or the struct first: either way what no longer compiles (the impl that
        # names the old field) is dropped, with a note naming it.
        first, second = (enum_cell, struct_cell) if cycle % 2 else (struct_cell, enum_cell)
        note = ok(kernel, first(cycle))[1] + ok(kernel, second(cycle))[1]
        assert note.count("dropped") == 1 and "`impl Node<Msg> for Replica`" in note, note
        if cycle % 5 == 0:
            content, _ = error(kernel, impl_cell(cycle, copies, typo=True))
            assert content["ename"] == "CompilationError"
            assert "(cell line 5)" in content["evalue"], content["evalue"]
            assert f"copiez_{cycle}" in content["evalue"], content["evalue"]
            assert any("cell line 5:" in t for t in content["traceback"]), content["traceback"]
        ok(kernel, impl_cell(cycle, copies))
        # The same impl again, unchanged: it replaces itself.
        if cycle % 3 == 0:
            _, note = ok(kernel, impl_cell(cycle, copies))
            assert note == "", note
        data, _ = ok(kernel, sim_cell(cycle))
        assert data["text/plain"] == str(copies), (cycle, data)


def test_rerunning_an_impl_cell_alone_replaces_it(kernel):
    ok(kernel, "#[derive(Clone, Debug)]\nenum Pb { Put(u64), Ack }")
    ok(kernel, "struct Replica2 { sync: bool }")
    impl = (
        "impl Node<Pb> for Replica2 {{\n"
        "    fn on_message(&mut self, ctx: &mut Ctx<Pb>, from: NodeId, _: Pb) {{\n"
        "        for _ in 0..{} {{ if self.sync {{ ctx.send(from, Pb::Ack) }} }}\n"
        "    }}\n"
        "}}"
    )
    count = (
        "Sim::new(Net::new()).node(|_| Replica2 { sync: true })\n"
        "    .client(|_| FnNode::new((), |_, ctx: &mut Ctx<Pb>, _, _| ctx.record(\"ack\", 1.0))\n"
        "        .on_start(|_, ctx| ctx.send(0, Pb::Put(1))))\n"
        "    .run(1).observed(\"ack\").count()"
    )
    for copies in (1, 1, 2, 3, 3):
        _, note = ok(kernel, impl.format(copies))
        assert note == "", note
        data, _ = ok(kernel, count)
        assert data["text/plain"] == str(copies)


def test_values_built_with_an_old_impl_are_named_when_it_changes(kernel):
    """A `Sim` keeps the node factories it was built with: after the impl changes, running it
    runs the old code. The note names the kept values that mention the impl's types."""
    ok(kernel, "#[derive(Clone, Debug)]\nenum Tick { Hi }")
    ok(kernel, "struct Echo;")
    impl = (
        "impl Node<Tick> for Echo {{\n"
        "    fn on_message(&mut self, ctx: &mut Ctx<Tick>, _: NodeId, _: Tick) {{ ctx.record(\"v\", {}.0) }}\n"
        "}}"
    )
    ok(kernel, impl.format(1))
    ok(kernel, "let sim = Sim::new(Net::new()).nodes(2, |_| Echo);\nlet plain: u64 = 7;")
    _, note = ok(kernel, impl.format(1))
    assert note == "", "an unchanged impl changes nothing"
    _, note = ok(kernel, impl.format(2))
    assert "`impl Node<Tick> for Echo` changed, but `sim` built before keeps the code" in note, note
    assert "plain" not in note


def test_inherent_impls_replace_only_what_they_redefine(kernel):
    ok(kernel, "struct Counter { n: u64 }")
    ok(kernel, "impl Counter { fn new() -> Counter { Counter { n: 1 } } }")
    ok(kernel, "impl Counter { fn twice(&self) -> u64 { self.n * 2 } }")
    data, _ = ok(kernel, "Counter::new().twice()")
    assert data["text/plain"] == "2"
    ok(kernel, "impl Counter { fn new() -> Counter { Counter { n: 5 } } }")
    data, _ = ok(kernel, "Counter::new().twice()")
    assert data["text/plain"] == "10"


def test_variables_of_a_redefined_type_are_dropped_with_a_note(kernel):
    ok(kernel, "struct Point { x: i64 }")
    ok(kernel, "let p = Point { x: 3 };\nlet ps = vec![Point { x: 4 }];\nlet kept = 7u8;")
    _, note = ok(kernel, "struct Point { x: i64 }")
    assert note == "", "an unchanged definition drops nothing"
    data, _ = ok(kernel, "p.x + ps[0].x")
    assert data["text/plain"] == "7"
    _, note = ok(kernel, "struct Point { y: i64, x: i64 }")
    assert note.strip() == "note: variables `p`, `ps` were dropped: their type was redefined.", note
    data, _ = ok(kernel, "kept")
    assert data["text/plain"] == "7"
    content, _ = error(kernel, "p.x")
    assert "cannot find value `p`" in content["evalue"]
    assert any("their type was redefined" in t for t in content["traceback"]), content
    ok(kernel, "let p = Point { y: 1, x: 2 };")
    data, _ = ok(kernel, "p.x")
    assert data["text/plain"] == "2"


def test_a_value_moved_out_of_a_kept_variable_still_shows(kernel):
    ok(kernel, "#[derive(Clone, Debug)]\nenum Attack { Go }")
    ok(
        kernel,
        "let general = Sim::new(Net::new())\n"
        "    .node(|_| FnNode::new((), |_, _: &mut Ctx<Attack>, _, _| {})\n"
        "        .on_start(|_, ctx| { ctx.send(1, Attack::Go); ctx.record(\"attack\", 1.0) }))\n"
        "    .node(|_| FnNode::new((), |_, ctx: &mut Ctx<Attack>, _, _| ctx.record(\"attack\", 1.0)));\n"
        "let live = Explorer::new(&general).max_losses(1).check(|run| {\n"
        "    if run.observed(\"attack\").count() == 1 { Err(\"only one attacked\") } else { Ok(()) }\n"
        "}).unwrap();",
    )
    data, note = ok(kernel, "live.counterexample.unwrap().run.trace().diagram()")
    assert "image/svg+xml" in data, data.keys()
    assert 'class="msg' in data["image/svg+xml"]
    assert not data["text/plain"].startswith("SpaceTime {"), "a Debug dump, not the figure"
    assert "`live` is no longer kept" in note and ".clone()" in note, note
    # Never silently: the next use says why it is gone, and `general` is still there.
    content, _ = error(kernel, "live.violated()")
    assert "cannot find value `live`" in content["evalue"], content["evalue"]
    assert any("`live` is no longer kept" in t for t in content["traceback"]), content["traceback"]
    data, _ = ok(kernel, "Explorer::new(&general).max_losses(1).check(|_| Ok::<(), &str>(())).unwrap().violated()")
    assert data["text/plain"] == "false"


def test_an_error_value_is_typed(kernel):
    ok(
        kernel,
        "let cut = Faults::new().partition_at(secs(3), [vec![0, 3], vec![1, 2, 4, 5]]).heal_at(secs(6));\n"
        "let bad = kv_store(CapMode::Ap, 3).faults(cut).run(1);",
    )
    ok(kernel, "let e = bad.linearizable().unwrap_err();")
    data, _ = ok(kernel, "e.to_string().is_empty()")
    assert data["text/plain"] == "false"


def test_a_failing_cell_reports_its_own_error_not_an_earlier_warning(kernel):
    # An item whose definition only warns (an irrefutable `if let`), kept from an earlier cell.
    ok(kernel, "fn first(x: Option<u8>) -> u8 { if let y = x { y.unwrap_or(0) } else { 1 } }")
    content, _ = error(kernel, "let n = first(Some(2));\nlet m: u8 = n + \"one\";")
    assert "irrefutable" not in content["evalue"], content["evalue"]
    assert "(cell line 2)" in content["evalue"], content["evalue"]
    assert not any("irrefutable" in t for t in content["traceback"]), content["traceback"]


def test_errors_in_item_definitions_name_the_cell_line(kernel):
    content, _ = error(kernel, "struct Holder {\n    inner: Vec<u8>,\n    missing: Nope,\n}")
    assert "(cell line 3)" in content["evalue"], content["evalue"]
    content, _ = error(kernel, "enum Shape { Dot }\nimpl Shape {\n    fn area(&self) -> u8 { \"big\" }\n}")
    assert "(cell line 3)" in content["evalue"], content["evalue"]
