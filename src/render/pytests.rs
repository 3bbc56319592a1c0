//! jinja2's tests (`x is iterable`, `x is sequence`, …) with Python's
//! semantics, replacing minijinja's where they differ.
//!
//! jinja2 defines them over Python's object model: `iterable` is "`iter(x)`
//! works" (so `None` is not iterable but jinja2's Undefined is), `sequence`
//! is "`len(x)` and `x.__getitem__` exist" (strings and dicts are sequences,
//! generators are not), `number` includes booleans (bool subclasses int),
//! `integer` excludes them explicitly, `mapping` is dict only.

use minijinja::value::{Value, ValueKind};
use minijinja::Environment;

use super::generator::is_generator;

pub fn install(env: &mut Environment<'static>) {
    env.add_test("iterable", is_iterable);
    env.add_test("sequence", is_sequence);
    env.add_test("mapping", is_mapping);
    env.add_test("number", |v: &Value| {
        matches!(v.kind(), ValueKind::Number | ValueKind::Bool)
    });
    env.add_test("integer", |v: &Value| v.is_integer());
    env.add_test("float", |v: &Value| {
        v.kind() == ValueKind::Number && !v.is_integer()
    });
    env.add_test("boolean", |v: &Value| v.kind() == ValueKind::Bool);
    env.add_test("string", |v: &Value| v.kind() == ValueKind::String);
    env.add_test("none", |v: &Value| v.is_none());
    env.add_test("defined", |v: &Value| !v.is_undefined());
    env.add_test("undefined", |v: &Value| v.is_undefined());
    env.add_test("callable", |v: &Value| {
        v.kind() == ValueKind::Plain
            && v.as_object().is_some_and(|o| {
                let t = o.type_name();
                t.contains("Macro") || t.contains("BoxedFunction")
            })
    });
}

/// `iter(x)` succeeds.
pub fn is_iterable(v: &Value) -> bool {
    match v.kind() {
        ValueKind::Undefined
        | ValueKind::String
        | ValueKind::Bytes
        | ValueKind::Seq
        | ValueKind::Map
        | ValueKind::Iterable => !is_namespace(v),
        ValueKind::None
        | ValueKind::Bool
        | ValueKind::Number
        | ValueKind::Plain
        | ValueKind::Invalid => false,
        _ => false,
    }
}

/// `len(x)` and `x.__getitem__` both exist.
pub fn is_sequence(v: &Value) -> bool {
    match v.kind() {
        ValueKind::Undefined
        | ValueKind::String
        | ValueKind::Bytes
        | ValueKind::Seq
        | ValueKind::Map => !is_namespace(v),
        ValueKind::Iterable => !is_generator(v),
        _ => false,
    }
}

/// `isinstance(x, collections.abc.Mapping)`: dicts, not namespaces.
pub fn is_mapping(v: &Value) -> bool {
    v.kind() == ValueKind::Map && !is_namespace(v)
}

pub fn is_namespace(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| o.type_name().ends_with("Namespace"))
}

#[cfg(test)]
mod tests {
    use crate::render::test_render as render;

    // Expected values are what jinja2 3.1.6 prints for the same template.

    #[test]
    fn iterable_follows_python_iter() {
        assert_eq!(
            render("{{ none is iterable }} {{ x is iterable }} {{ 's' is iterable }} {{ 1 is iterable }} {{ {} is iterable }}"),
            "False True True False True"
        );
    }

    #[test]
    fn sequence_includes_strings_and_dicts_not_generators() {
        assert_eq!(
            render("{{ 's' is sequence }} {{ {} is sequence }} {{ none is sequence }} {{ [1]|select is sequence }} {{ x is sequence }}"),
            "True True False False True"
        );
    }

    #[test]
    fn numbers_booleans_mappings() {
        assert_eq!(
            render("{{ true is number }} {{ true is integer }} {{ 1 is integer }} {{ 1.0 is integer }} {{ 1.0 is float }} {{ {} is mapping }} {{ 'a' is mapping }}"),
            "True False True False True True False"
        );
    }
}
