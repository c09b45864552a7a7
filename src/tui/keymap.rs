//! The one keymap: every key the console answers is a row of [`BINDINGS`]. Dispatch looks a key
//! up here, the hint line and the help overlay are generated from the same rows, and a test
//! checks that every key the help lists dispatches to the action it describes.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for. Which screen or overlay is in front decides what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    ForceQuit,
    Suspend,
    Help,
    Messages,
    Run,
    Reprobe,
    NextScenario,
    PickScenario,
    FocusLog,
    ToggleLog,
    Step(u8),
    NextStep,
    PrevStep,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    Select,
    Back,
    Find,
    FindNext,
    FindPrev,
    Copy,
    View,
    WriteFile,
    Reveal,
    Paste,
    Wrap,
    Console,
    Coverage,
    /// The OAuth app's kind, name and policies.
    AppInfo,
    /// The integration's own record in the org: Login History, OAuth grants, the user.
    Integration,
    Export,
    NextProfile,
    Edit,
    /// The Fix overlay: the plan for this row or finding.
    Fix,
    /// Undo the changes made from the Fix overlay.
    Undo,
    /// Confirm (the quit question, a change to the org).
    Yes,
    /// In a text field: clear to the start, delete the word before the cursor.
    ClearLine,
    DeleteWord,
    /// The Fleet screen, or back to the walk-through.
    Fleet,
    /// Fleet: cycle the sort column; show failing orgs only; check the org now; its timeline;
    /// acknowledge or mute its worst open incident.
    Sort,
    FailingOnly,
    CheckNow,
    Timeline,
    Ack,
    Mute,
}

/// Where a binding applies. Dispatch tries the scopes of what is in front, most specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everywhere, even while typing or with an overlay open.
    Always,
    /// With no overlay and no text field open.
    Global,
    Environment,
    ConnectedApp,
    Login,
    Permissions,
    Findings,
    Log,
    Inspector,
    /// Help, messages, coverage, a shown value, the scenario picker.
    Overlay,
    /// The "login in flight, quit?" question.
    Confirm,
    /// The Fix overlay: the plan, applying, undoing.
    Fix,
    /// Confirming a change to the org: `y`, or any other key cancels.
    FixConfirm,
    /// A text field being typed in.
    Text,
    /// The Fleet screen (F).
    Fleet,
    /// Fleet: for how long to mute.
    FleetMute,
    /// Fleet: an org's timeline.
    Timeline,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Always => "Anywhere",
            Scope::Global => "Everywhere",
            Scope::Environment => "1 Environment",
            Scope::ConnectedApp => "2 Connected app",
            Scope::Login => "3 Login",
            Scope::Permissions => "4 Permissions",
            Scope::Findings => "5 Findings",
            Scope::Log => "Request log (Tab)",
            Scope::Inspector => "Inspector",
            Scope::Overlay => "Overlays (help, messages, values, scenarios)",
            Scope::Confirm => "Quit question",
            Scope::Fix => "Fix (f)",
            Scope::FixConfirm => "Fix: confirming a change",
            Scope::Text => "Typing in a field",
            Scope::Fleet => "Fleet (F): the watched orgs",
            Scope::FleetMute => "Fleet: muting",
            Scope::Timeline => "Fleet: an org's timeline (t)",
        }
    }
}

/// Which key style a binding belongs to (config `key_style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Any,
    Vim,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key(pub KeyCode, pub KeyModifiers);

const N: KeyModifiers = KeyModifiers::NONE;
const C: KeyModifiers = KeyModifiers::CONTROL;

const fn ch(c: char) -> Key {
    Key(KeyCode::Char(c), N)
}
const fn ctrl(c: char) -> Key {
    Key(KeyCode::Char(c), C)
}
const fn k(code: KeyCode) -> Key {
    Key(code, N)
}

pub struct Binding {
    pub scope: Scope,
    pub keys: &'static [Key],
    pub action: Action,
    pub style: Style,
    /// What the help overlay says.
    pub help: &'static str,
    /// The hint line's word for it, when it is worth a place there.
    pub hint: Option<&'static str>,
}

const fn b(
    scope: Scope,
    keys: &'static [Key],
    action: Action,
    help: &'static str,
    hint: Option<&'static str>,
) -> Binding {
    Binding {
        scope,
        keys,
        action,
        style: Style::Any,
        help,
        hint,
    }
}

const fn vim(scope: Scope, keys: &'static [Key], action: Action, help: &'static str) -> Binding {
    Binding {
        scope,
        keys,
        action,
        style: Style::Vim,
        help,
        hint: None,
    }
}

use Action as A;
use KeyCode as KC;
use Scope as S;

#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    b(S::Always, &[ctrl('c')], A::ForceQuit, "quit at once, terminal restored", None),
    b(S::Always, &[ctrl('z')], A::Suspend, "suspend (fg resumes)", None),
    vim(S::Always, &[ch('j')], A::Down, "down (vim)"),
    vim(S::Always, &[ch('k')], A::Up, "up (vim)"),
    vim(S::Always, &[ch('h')], A::Left, "left (vim)"),
    vim(S::Always, &[ch('l')], A::Right, "right (vim)"),
    vim(S::Always, &[ch('g')], A::Home, "top (vim)"),
    vim(S::Always, &[ch('G')], A::End, "bottom (vim)"),
    vim(S::Always, &[ctrl('d')], A::PageDown, "page down (vim)"),
    vim(S::Always, &[ctrl('u')], A::PageUp, "page up (vim)"),
    b(S::Global, &[ch('?')], A::Help, "this help (scrolls; Esc closes)", Some("help")),
    b(S::Global, &[ch('q')], A::Quit, "quit (asks if a login is in flight)", Some("quit")),
    b(S::Global, &[ch('r')], A::Run, "run the whole check (again)", Some("run")),
    b(S::Global, &[ch('1'), ch('2'), ch('3'), ch('4'), ch('5')], A::Step(0), "go to a step", None),
    b(S::Global, &[ch(']'), k(KC::Right)], A::NextStep, "next step", Some("steps")),
    b(S::Global, &[ch('['), k(KC::Left)], A::PrevStep, "previous step", None),
    b(S::Global, &[k(KC::Up)], A::Up, "move up", None),
    b(S::Global, &[k(KC::Down)], A::Down, "move down", None),
    b(S::Global, &[k(KC::Home)], A::Home, "top", None),
    b(S::Global, &[k(KC::End)], A::End, "bottom", None),
    b(S::Global, &[k(KC::PageUp)], A::PageUp, "page up", None),
    b(S::Global, &[k(KC::PageDown)], A::PageDown, "page down", None),
    b(S::Global, &[k(KC::Tab)], A::FocusLog, "focus the request log (again: leave it)", Some("log")),
    b(S::Global, &[ch('L')], A::ToggleLog, "show or hide the request log", None),
    b(S::Global, &[ch(':')], A::Console, "request console: GET /path, POST /path {json}, SELECT …", None),
    b(S::Global, &[ch('m')], A::Messages, "message history", None),
    b(S::Global, &[ch('C')], A::Coverage, "field-coverage table of the last run", None),
    b(S::Global, &[ch('i')], A::Integration, "the integration's own record: Login History, OAuth grants, the user", None),
    b(S::Global, &[ch('W')], A::Export, "write the report (.md) and HAR to the current directory", None),
    b(S::Global, &[ch('P')], A::NextProfile, "next saved profile (profiles hold no secrets)", None),
    b(S::Global, &[ch('s')], A::NextScenario, "demo: next scenario, and run", None),
    b(S::Global, &[ch('S')], A::PickScenario, "demo: choose a scenario", Some("scenarios")),
    b(S::Global, &[ch('F')], A::Fleet, "the Fleet screen (orgs sagediag watch records); again: the walk-through", None),
    b(S::Environment, &[k(KC::Enter), ch(' ')], A::Select, "choose the environment", None),
    b(S::Environment, &[ch('e')], A::Edit, "edit the custom URL", None),
    b(S::ConnectedApp, &[k(KC::Enter), ch(' '), ch('e')], A::Select, "edit the field, or cycle its choices", None),
    b(S::ConnectedApp, &[ch('v')], A::Reveal, "reveal or mask the secret", Some("reveal")),
    b(S::ConnectedApp, &[ch('c')], A::Copy, "copy the callback URL", None),
    b(S::ConnectedApp, &[ch('x')], A::View, "the set-up checklist in full, marked by the last run", None),
    b(S::Login, &[ch('p')], A::Paste, "paste the URL the browser landed on", Some("paste")),
    b(S::Login, &[ch('c')], A::Copy, "copy the authorize URL", None),
    b(S::Login, &[ch('v')], A::View, "show the authorize URL alone, full width (to select)", Some("view URL")),
    b(S::Permissions, &[k(KC::Enter)], A::Select, "open the row's request in the inspector", None),
    b(S::Permissions, &[ch('R')], A::Reprobe, "re-run the selected probe", Some("re-probe")),
    b(S::Permissions, &[ch('a')], A::AppInfo, "the app: kind, name, policies (where to look for the unknown)", None),
    b(S::Permissions, &[ch('f')], A::Fix, "fix the selected row: the plan; changes only after y", Some("fix")),
    b(S::Findings, &[k(KC::Enter)], A::Select, "open the evidence request", None),
    b(S::Findings, &[ch('f')], A::Fix, "fix the selected finding: the plan; changes only after y", Some("fix")),
    b(S::Findings, &[ch('c')], A::Copy, "copy the fix", Some("copy fix")),
    b(S::Findings, &[ch('v')], A::View, "show the fix alone, full width", None),
    b(S::Log, &[k(KC::Enter)], A::Select, "open the request in the inspector", None),
    b(S::Log, &[ch('/')], A::Find, "filter by URL, method or status", Some("filter")),
    b(S::Log, &[ch('c')], A::Copy, "copy as curl", None),
    b(S::Log, &[k(KC::Esc)], A::Back, "leave the log", None),
    b(S::Inspector, &[k(KC::Esc), ch('q')], A::Back, "close", Some("close")),
    b(S::Inspector, &[k(KC::Up)], A::Up, "scroll up", None),
    b(S::Inspector, &[k(KC::Down)], A::Down, "scroll down", None),
    b(S::Inspector, &[k(KC::Left)], A::Left, "scroll left (wrap off)", None),
    b(S::Inspector, &[k(KC::Right)], A::Right, "scroll right (wrap off)", None),
    b(S::Inspector, &[k(KC::PageUp)], A::PageUp, "page up", None),
    b(S::Inspector, &[k(KC::PageDown), ch(' ')], A::PageDown, "page down", None),
    b(S::Inspector, &[k(KC::Home)], A::Home, "top", None),
    b(S::Inspector, &[k(KC::End)], A::End, "bottom", None),
    b(S::Inspector, &[ch('/')], A::Find, "search", Some("search")),
    b(S::Inspector, &[ch('n')], A::FindNext, "next match", None),
    b(S::Inspector, &[ch('N')], A::FindPrev, "previous match", None),
    b(S::Inspector, &[ch('w')], A::Wrap, "wrap long lines", Some("wrap")),
    b(S::Inspector, &[ch('c')], A::Copy, "copy as curl", Some("curl")),
    b(S::Inspector, &[ch('v')], A::View, "show the curl command alone, full width", None),
    b(S::Overlay, &[k(KC::Esc), ch('q'), ch('?'), ch('m')], A::Back, "close", Some("close")),
    b(S::Overlay, &[k(KC::Up)], A::Up, "up", None),
    b(S::Overlay, &[k(KC::Down)], A::Down, "down", None),
    b(S::Overlay, &[k(KC::PageUp)], A::PageUp, "page up", None),
    b(S::Overlay, &[k(KC::PageDown), ch(' ')], A::PageDown, "page down", None),
    b(S::Overlay, &[k(KC::Home)], A::Home, "top", None),
    b(S::Overlay, &[k(KC::End)], A::End, "bottom", None),
    b(S::Overlay, &[k(KC::Enter)], A::Select, "choose (scenario picker)", None),
    b(S::Overlay, &[ch('v')], A::View, "a shown value alone, full width, no border", Some("full width")),
    b(S::Overlay, &[ch('o')], A::WriteFile, "write a shown value to a file (owner-only)", Some("write to file")),
    b(S::Confirm, &[ch('y'), ch('q')], A::Yes, "quit; any other key stays", None),
    b(S::Fix, &[k(KC::Esc), ch('q')], A::Back, "close", Some("close")),
    b(S::Fix, &[k(KC::Up)], A::Up, "previous fix", None),
    b(S::Fix, &[k(KC::Down)], A::Down, "next fix", None),
    b(S::Fix, &[k(KC::Home)], A::Home, "first fix", None),
    b(S::Fix, &[k(KC::End)], A::End, "last fix", None),
    b(S::Fix, &[k(KC::Enter)], A::Select, "apply the selected fix (shows the request, asks y first)", Some("apply")),
    b(S::Fix, &[ch('u')], A::Undo, "undo the changes made here (asks y first)", Some("undo")),
    b(S::Fix, &[ch('c')], A::Copy, "copy the selected fix (request, command or steps)", Some("copy")),
    b(S::FixConfirm, &[ch('y')], A::Yes, "yes: change the org; any other key cancels, nothing sent", Some("yes")),
    b(S::Fleet, &[k(KC::Enter)], A::Select, "the org's last cycle in the steps, read-only (findings, fixes, log)", Some("open")),
    b(S::Fleet, &[ch('r')], A::CheckNow, "check the org now with its monitoring credentials", Some("check")),
    b(S::Fleet, &[ch('t')], A::Timeline, "the org's timeline: incidents and check success", Some("timeline")),
    b(S::Fleet, &[ch('a')], A::Ack, "acknowledge the org's worst open incident (as you, now)", Some("ack")),
    b(S::Fleet, &[ch('M')], A::Mute, "mute the org's worst open incident: 1h, 4h or 24h", Some("mute")),
    b(S::Fleet, &[ch('/')], A::Find, "filter by org name or finding code", Some("filter")),
    b(S::Fleet, &[ch('s')], A::Sort, "sort by the next column", Some("sort")),
    b(S::Fleet, &[ch('f')], A::FailingOnly, "failing orgs only (again: all)", Some("failing")),
    b(S::Fleet, &[k(KC::Esc)], A::Back, "clear the filter and failing-only", None),
    b(S::FleetMute, &[ch('1'), ch('2'), ch('3')], A::Step(0), "mute for 1 hour, 4 hours, 24 hours", Some("1h 4h 24h")),
    b(S::FleetMute, &[k(KC::Esc)], A::Back, "cancel (any other key too)", Some("cancel")),
    b(S::Timeline, &[k(KC::Esc), ch('q'), ch('t')], A::Back, "close", Some("close")),
    b(S::Timeline, &[k(KC::Up)], A::Up, "scroll up", None),
    b(S::Timeline, &[k(KC::Down)], A::Down, "scroll down", None),
    b(S::Timeline, &[k(KC::PageUp)], A::PageUp, "page up", None),
    b(S::Timeline, &[k(KC::PageDown)], A::PageDown, "page down", None),
    b(S::Text, &[k(KC::Enter)], A::Select, "done", Some("done")),
    b(S::Text, &[k(KC::Esc)], A::Back, "cancel: the field as it was", Some("cancel")),
    b(S::Text, &[ctrl('u')], A::ClearLine, "clear to the start", None),
    b(S::Text, &[ctrl('w')], A::DeleteWord, "delete the word before the cursor", None),
    b(S::Text, &[k(KC::Up)], A::Up, "request console: earlier line", None),
    b(S::Text, &[k(KC::Down)], A::Down, "request console: later line", None),
];

/// `key` as a binding matches it: shift is part of the character, not a modifier.
fn matches(want: Key, key: &KeyEvent) -> bool {
    let mods = key.modifiers - KeyModifiers::SHIFT;
    match (want.0, key.code) {
        (KeyCode::Char(a), KeyCode::Char(b)) => a == b && want.1 == mods,
        (KeyCode::BackTab, _) => false,
        (a, b) => a == b && want.1 == mods,
    }
}

/// The action of `key` in the first of `scopes` that binds it.
pub fn lookup(key: &KeyEvent, scopes: &[Scope], vim: bool) -> Option<Action> {
    for scope in scopes {
        for bd in BINDINGS.iter().filter(|b| b.scope == *scope) {
            if bd.style == Style::Vim && !vim {
                continue;
            }
            if let Some(i) = bd.keys.iter().position(|k| matches(*k, key)) {
                return Some(match bd.action {
                    Action::Step(_) => Action::Step(i as u8 + 1),
                    a => a,
                });
            }
        }
    }
    None
}

pub fn key_label(k: Key) -> String {
    let base = match k.0 {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        other => format!("{other:?}"),
    };
    if k.1.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{}", base.to_uppercase())
    } else {
        base
    }
}

/// The keys of one binding as the help shows them.
pub fn keys_label(bd: &Binding) -> String {
    bd.keys
        .iter()
        .map(|k| key_label(*k))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The help overlay's lines: a heading per scope, then `keys  what`, all from [`BINDINGS`].
pub fn help_rows(vim: bool) -> Vec<(Option<Scope>, String, &'static str)> {
    let mut out = Vec::new();
    let mut last = None;
    for bd in BINDINGS {
        if bd.style == Style::Vim && !vim {
            continue;
        }
        if last != Some(bd.scope) {
            out.push((Some(bd.scope), String::new(), ""));
            last = Some(bd.scope);
        }
        out.push((None, keys_label(bd), bd.help));
    }
    out
}

/// The hint line for the scopes in front: `key: word` for each binding that has a hint word.
pub fn hints(scopes: &[Scope], skip: &[Action]) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for scope in scopes {
        for bd in BINDINGS.iter().filter(|b| b.scope == *scope) {
            if let Some(h) = bd.hint
                && !skip.contains(&bd.action)
                && !out.iter().any(|(_, w)| *w == h)
            {
                let key = match bd.action {
                    Action::NextStep => "1-5".to_string(),
                    _ => key_label(bd.keys[0]),
                };
                out.push((key, h));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_key_dispatches_to_its_action() {
        for bd in BINDINGS {
            for (i, k) in bd.keys.iter().enumerate() {
                let ev = KeyEvent::new(k.0, k.1);
                let want = match bd.action {
                    Action::Step(_) => Action::Step(i as u8 + 1),
                    a => a,
                };
                let mut scopes = vec![bd.scope];
                if bd.scope != Scope::Always {
                    scopes.insert(0, Scope::Always);
                }
                // Vim keys only bind with the vim style; the default style leaves them alone.
                let vim = bd.style == Style::Vim;
                let got = lookup(&ev, &scopes, vim);
                // An `Always` binding (Ctrl-C, vim moves) may shadow a scope's own; none does.
                assert_eq!(got, Some(want), "{:?} {}", bd.scope, key_label(*k));
            }
        }
    }

    #[test]
    fn the_help_lists_every_binding() {
        let rows = help_rows(true);
        for bd in BINDINGS {
            assert!(
                rows.iter()
                    .any(|(_, keys, help)| *keys == keys_label(bd) && *help == bd.help),
                "{}",
                bd.help
            );
        }
        // The default style lists no vim keys, and they do nothing.
        assert!(!help_rows(false).iter().any(|(_, _, h)| h.contains("(vim)")));
        let j = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(lookup(&j, &[Scope::Always, Scope::Global], false), None);
    }

    #[test]
    fn no_key_is_bound_twice_in_one_scope() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for bb in &BINDINGS[i + 1..] {
                if a.scope == bb.scope && a.style == bb.style {
                    for k in a.keys {
                        assert!(!bb.keys.contains(k), "{:?} {}", a.scope, key_label(*k));
                    }
                }
            }
        }
    }
}
