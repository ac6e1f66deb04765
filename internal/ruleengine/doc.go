// Package ruleengine implements the otelsec rule language: Falco-style YAML items (lists,
// macros, rules with exceptions, overrides across files) whose conditions are CEL expressions
// over a log record's attributes. It parses and validates rule files, compiles every rule once
// into an Engine, and matches records (pcommon resource attributes + plog.LogRecord) against it.
//
// # Files
//
// A rule file is a YAML sequence of items:
//
//   - ruleset: otelsec-default        # optional; default: the file's base name without extension
//   - list: shell_binaries
//     items: [bash, sh, zsh]
//   - macro: spawned_process
//     condition: event.name == "process.exec"
//   - rule: Shell spawned by a server
//     desc: A shell was started by a network server process.
//     condition: spawned_process && process.executable.name in shell_binaries
//     output: "Shell spawned (user=%process.user.name shell=%process.executable.path)"
//     priority: WARNING
//     tags: [process, mitre_execution, T1059.004]
//     enabled: true                     # default true
//     exceptions:
//   - name: known_parents
//     fields: [process.parent.executable.name, process.executable.name]
//     comps: [=, =]                 # optional, default "=" for every field
//     values: [[sshd, bash], [tmux, sh]]
//   - name: single
//     fields: process.executable.name   # single-field form: values is a flat list
//     values: [a, b]
//
// Later items (in the same or a later file) change earlier ones by name with an override
// block: `override: {items: append|replace}` for lists, `{condition: append|replace}` for
// macros, and for rules any of condition, exceptions, output, desc, priority, tags, enabled
// with append (condition: "(old) && (new)", exceptions/tags: added) or replace. A rule item with
// only `rule:` and `enabled:` toggles an existing rule. Overriding an unknown name and defining
// a name twice without override are errors.
//
// # Conditions
//
// CEL (cel-go) over the record. Attributes are referenced by their dotted names
// (process.executable.name, file.path, host.name for resource attributes); record attributes
// shadow resource attributes. event.name is the LogRecord's EventName, or its "event.name"
// attribute when EventName is empty; body is the LogRecord's Body. Attributes of the otelsec
// contract (internal/schema) have their contract types (string, int, bool, list(string));
// other dotted names are dyn. Lists are constants of type list(string) (`x in shell_binaries`);
// macros are identifiers that expand to their (parenthesized) condition, recursively.
//
// Helper functions: path_under(path, prefix|list), glob(s, pattern), basename(s), dirname(s),
// icontains(s, sub), any_in(list, list), present("attr.name"); plus CEL's own.
//
// Absent attributes: any comparison or function call that reads an absent attribute (or a
// value whose type does not fit) does not evaluate; such a failure behaves as false through
// && and ||, and `!` of it is true, exactly as if the smallest enclosing boolean
// sub-expression were false (Falco: `not file.path = /x` is true when there is no file.path).
// A condition that as a whole fails to evaluate does not match. docs/rules.md has the details.
//
// # Evaluation
//
// Each piece of condition (a macro's or rule's condition, an exception) is parsed once and
// type-checked on its own, so errors point into the text as written. Compile indexes rules by
// the event names their conditions require (eventReq, buildIndex), so Match evaluates a
// record only against rules that can match its event. Rules run on the fast path: their
// pieces, macros expanded, compiled into nodes (fast*.go) that read attributes directly from
// the record through a per-record cache, and evaluate sub-expressions shared by several rules
// (a macro, above all) once per record. A rule using constructs the fast path lacks runs on
// cel-go: its condition is expanded as a tree (expandast.go: the tree parsing the expanded text
// would give), type-checked whole and run through a custom interpreter.Activation
// (activation.go) with the same semantics (`!` is replaced by a non-strict version); tests
// compare the two on random records. Engine is immutable and safe for concurrent use.
//
// # Layout
//
// Files follow the phases of Compile, then of Match:
//
//   - load.go: Source, reading rule files.
//   - parse.go: YAML into items (text.go: positions inside YAML scalars, for errors;
//     yamlerr.go: where a YAML syntax error is).
//   - resolve.go: overrides: items into one definition per list, macro and rule.
//   - exceptions.go: exception blocks, parsed, merged and turned into condition text.
//   - scan.go: parsing each condition, finding the attributes and macros it references;
//     conjuncts.go: the terms of && chains, parsed and checked once each.
//   - expand.go: list and macro names, lists of lists, macro expansion of the text;
//     expandast.go: of the parsed tree, for rules that run on cel-go.
//   - compile.go: Compile's steps: the CEL environment, type checks, each rule compiled;
//     progress.go: reporting on a long compile.
//   - index.go: what a condition requires of event.name, and the index by event name.
//   - fastval.go, fastnode.go, fastspecial.go: the fast path's values, its nodes, and nodes
//     specialized for the common shapes; fastcompile.go, fastexpr.go: their compiler (rules,
//     macros and sharing; expressions).
//   - engine.go, activation.go, attrs.go: Engine, Match, and reading a record's attributes.
//   - funcs.go, render.go, priority.go: helper functions, output templates, priorities.
//   - falco*.go: Falco's rules files, a second front end (falco.go says how they enter the
//     engine): falco_load.go and falco_exceptions.go read them, falco_parse.go parses Falco's
//     conditions, falco_fields.go and falco_events.go map Falco's fields and event types onto
//     otelsec's records, falco_compile.go, falco_check.go and falco_terms.go compile each rule
//     per event into CEL, falco_output.go renders Falco's outputs, falco_funcs.go has the
//     functions Falco's fields are computed with. docs/falco.md describes them.
//
// # API notes
//
// Compile returns warnings (not errors) for rules whose condition does not restrict
// event.name and for attribute names in the contract's namespaces that the contract lacks.
// Options{} (zero) keeps every priority; MinPriority keeps rules at least that severe.
// Priority zero is "unset"; PriorityEmergency is the most severe (1). Rule.Index is the rule's
// position in Engine.Rules (for per-rule tables), Rule.Category its first non-MITRE tag,
// Rule.OutputFields the attributes its output references.
package ruleengine
