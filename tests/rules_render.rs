//! `template-syntax` and `template-render`: where a syntax error points,
//! which render failures count, and hostile templates (endless loops,
//! gigabyte output) bounded into findings instead of hangs.

mod common;
mod rules_support;

use std::time::{Duration, Instant};

use chat_template_lint::capabilities::Capability;
use chat_template_lint::finding::Finding;
use chat_template_lint::load::OffsetMap;
use chat_template_lint::probes::render_probes;
use chat_template_lint::render::{compile, default_now};
use chat_template_lint::rules::Rule;
use rules_support::{lint_family, lint_template, lint_with, named_template, of, tokens};

/// The one `template-render` finding among `findings`.
fn the_render_finding(findings: &[Finding]) -> &Finding {
    let found = of(findings, Rule::TemplateRender);
    assert_eq!(found.len(), 1, "{findings:#?}");
    found[0]
}

fn assert_message_has(f: &Finding, part: &str) {
    assert!(f.message.contains(part), "{}", f.message);
}

#[test]
fn syntax_error_points_into_the_file() {
    let text = "{% for m in messages %}\n{{ m.content }}\n{% if m.role == 'user' %}x{% endfor %}\n";
    // As if the template started 100 bytes into the file.
    let findings = lint_with(text, OffsetMap::starting_at(100), &tokens("x"), None);
    let found = of(&findings, Rule::TemplateSyntax);
    assert_eq!(found.len(), 1, "{findings:#?}");
    let f = found[0];
    assert!(
        f.message.contains("line 3 of the template"),
        "{}",
        f.message
    );
    let span = f.span.expect("a syntax error has a place");
    let line3 = text.find("{% if").unwrap_or(0);
    assert!(span.start >= 100 + line3, "{span:?}");
    // Nothing else runs on a template that does not compile.
    assert_eq!(findings.len(), 1, "{findings:#?}");
}

#[test]
fn good_templates_have_no_syntax_findings() {
    let findings = lint_family("llama3");
    assert!(of(&findings, Rule::TemplateSyntax).is_empty());
}

#[test]
fn render_failure_on_a_basic_probe_is_reported() {
    let text = "{% for m in messages %}\n{{ m.content.text.value }}\n{% endfor %}";
    let findings = lint_with(text, OffsetMap::identity(), &tokens("x"), None);
    let f = the_render_finding(&findings);
    assert_eq!(f.probe.as_deref(), Some("user"));
    assert_message_has(f, "probe `user`");
    assert_message_has(f, "`m.content.text` is undefined");
    // Where the engine's message does not name the expression, the finding does.
    // (A `safe` makes `+` Python's Markup-aware add, whose undefined error
    // is the engine's own and names nothing.)
    let text = "{% for m in messages %}{{ ('<' + m['from']) | safe }}{% endfor %}";
    let findings = lint_with(text, OffsetMap::identity(), &tokens("x"), None);
    let f = the_render_finding(&findings);
    assert_message_has(f, " in `'<' + m['from']`");
}

#[test]
fn deliberate_raise_exception_is_not_a_render_failure() {
    // Gemma rejects a system role; this one rejects everything but tool calls.
    let text = "{% if not tools %}{{ raise_exception('this template needs tools') }}{% endif %}";
    let findings = lint_with(text, OffsetMap::identity(), &tokens("x"), None);
    assert!(
        of(&findings, Rule::TemplateRender).is_empty(),
        "{findings:#?}"
    );
}

#[test]
fn failures_outside_the_basic_probes_are_not_render_findings() {
    // Fails only on conversations with more than two messages.
    let text = "{% for m in messages %}{% if loop.index > 2 %}{{ m.x.y }}{% endif %}{{ m.content }}{% endfor %}";
    let findings = lint_with(text, OffsetMap::identity(), &tokens("x"), None);
    assert!(
        of(&findings, Rule::TemplateRender).is_empty(),
        "{findings:#?}"
    );
}

/// A named template is held to its own probe: `text` fails as `default`
/// (on the basic probes) and renders as `name`; `broken` fails as `name`,
/// on `probe`.
fn named_template_is_held_to(name: &str, probe: &str, text: &str, broken: &str) {
    let render_findings = |name: &str, text: &str| {
        let f = lint_template(
            named_template(name, text, OffsetMap::identity()),
            &tokens("x"),
            None,
        );
        f.into_iter()
            .filter(|f| f.rule == Rule::TemplateRender)
            .collect::<Vec<_>>()
    };
    let as_default = render_findings("default", text);
    assert_eq!(as_default.len(), 1, "{as_default:#?}");
    let as_named = render_findings(name, text);
    assert!(as_named.is_empty(), "{as_named:#?}");
    let found = render_findings(name, broken);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].probe.as_deref(), Some(probe));
}

#[test]
fn tool_use_templates_are_rendered_with_tools() {
    // Iterates `tools` unguarded, like Command R+'s `tool_use` template:
    // a TypeError without tools, in transformers too.
    named_template_is_held_to(
        "tool_use",
        "tools",
        "{% for tool in tools %}{{ tool.function.name }}\n{% endfor %}{% for m in messages %}{{ m.content }}\n{% endfor %}",
        "{% for tool in tools %}{{ tool.function.name.x.y }}{% endfor %}",
    );
}

#[test]
fn a_rag_template_is_rendered_with_documents() {
    // Command R's rag template iterates `documents` unguarded: it fails on
    // the basic probes (documents=None) and renders with documents.
    named_template_is_held_to(
        "rag",
        "documents",
        "{% for d in documents %}[{{ loop.index0 }}] {{ d.title }}: {{ d.text }}\n{% endfor %}\
        {% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}\
        {% if add_generation_prompt %}assistant:{% endif %}",
        "{% for d in documents %}{{ d.title.x.y }}{% endfor %}",
    );
}

/// Runs `f` and fails if it takes longer than `limit` (the rules must bound
/// hostile templates, not hang on them).
fn bounded<T>(limit: Duration, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < limit, "took {took:?}, limit {limit:?}");
    out
}

#[test]
fn endless_loop_is_a_render_finding_not_a_hang() {
    // Loops only on one render (`user`, no generation prompt), to keep the test quick.
    let text = "{% if messages|length == 1 and not add_generation_prompt and not tools %}{% for i in range(100000) %}{% for j in range(100000) %}{% for k in range(100000) %}{% endfor %}{% endfor %}{% endfor %}{% endif %}{{ messages[0].content }}";
    let findings = bounded(Duration::from_secs(120), || {
        lint_with(text, OffsetMap::identity(), &tokens("x"), None)
    });
    let f = the_render_finding(&findings);
    assert_message_has(f, "render limits");
}

#[test]
fn endless_loop_on_any_probe_is_reported() {
    // Hangs only when tools are given: not a basic probe, still a hang.
    let text = "{% if tools and not add_generation_prompt %}{% for i in range(100000) %}{% for j in range(100000) %}{% for k in range(100000) %}{% endfor %}{% endfor %}{% endfor %}{% endif %}{% for m in messages %}{{ m.content }}\n{% endfor %}";
    let findings = bounded(Duration::from_secs(120), || {
        lint_with(text, OffsetMap::identity(), &tokens("x"), None)
    });
    let f = the_render_finding(&findings);
    assert_eq!(f.probe.as_deref(), Some("tools"));
}

#[test]
fn a_template_past_the_limits_is_not_rendered_again() {
    use chat_template_lint::render::RenderErrorKind;
    let text = "{% for i in range(100000) %}{% for j in range(100000) %}{% for k in range(100000) %}{% endfor %}{% endfor %}{% endfor %}";
    let compiled = compile(text).expect("compiles");
    let renders = bounded(Duration::from_secs(120), || {
        render_probes(&compiled, &tokens("x"), default_now())
    });
    assert!(renders.items.len() > 2);
    assert!(renders.items.iter().all(|r| matches!(
        &r.result,
        Err(e) if e.kind == RenderErrorKind::LimitExceeded
    )));
}

#[test]
fn gigabyte_output_is_a_render_finding_not_a_hang() {
    let text = "{% if messages|length == 1 and not add_generation_prompt and not tools %}{% for i in range(100000) %}{% for j in range(100000) %}{{ 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' * 1000 }}{% endfor %}{% endfor %}{% endif %}{{ messages[0].content }}";
    let findings = bounded(Duration::from_secs(120), || {
        lint_with(text, OffsetMap::identity(), &tokens("x"), None)
    });
    let f = the_render_finding(&findings);
    assert_message_has(f, "render limits");
}

/// Each template is held to the content shape its runtime sends: a
/// processor's (a folder with a processor config) to lists of parts, a
/// tokenizer's to strings; one that renders only parts where strings would
/// come is a capability, not a render failure.
#[test]
fn templates_are_held_to_the_content_shape_of_their_runtime() {
    use chat_template_lint::resolve::Report;
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules/content-shape");
    let run = |case: &str, require: &[&str]| -> Report {
        common::check_with_require(vec![root.join(case)], &root, require)
    };
    let caps = |r: &Report| r.models[0].templates[0].capabilities.clone();
    for case in ["pixtral-processor", "pixtral-template-in-tokenizer-config"] {
        let r = run(case, &[]);
        assert!(r.findings.is_empty(), "{case}: {:#?}", r.findings);
        let c = caps(&r);
        assert!(c.contains(&Capability::ContentParts), "{case}: {c:?}");
        assert!(!c.contains(&Capability::StringContent), "{case}: {c:?}");
    }
    // `require` can still demand the other shape.
    let r = run("pixtral-template-in-tokenizer-config", &["string-content"]);
    let missing = of(&r.findings, Rule::CapabilityMissing);
    assert_eq!(missing.len(), 1, "{:#?}", r.findings);
    assert_message_has(missing[0], "`string-content`");
    // A text-only template in a processor's chat_template.json fails on parts.
    let r = run("chatml-in-processor", &[]);
    let f = the_render_finding(&r.findings);
    assert_eq!(f.probe.as_deref(), Some("user-parts"));
    assert_eq!(f.path, "chatml-in-processor/chat_template.json");
    assert!(f
        .help
        .as_deref()
        .is_some_and(|h| h.contains("list of parts")));
    assert!(caps(&r).contains(&Capability::StringContent));
}
