//! The Fix overlay and the generic overlays through the front door: the real loop against a
//! simulated org (keys in, frames out, at 80×24), and `update(Msg)` with rendering. Issue 22
//! §3 and §6: the undo list is the report's own, the list is current after undo, a failed admin
//! login shows whole and stays in `m`, overlays clear their margins, the coverage table fits 80
//! columns and names its limit, a missing JWT key file is the form's error.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagediag::tui::app::App;
use sagediag::tui::msg::{Effect, Msg};
use sagediag::tui::ui;

use super::tui_loop::Driver;

/// The simulated org's admin (docs/simulator.md).
const ADMIN_PASSWORD: &str = "Admin-Passw0rd!";

/// The text inside a box's borders from the line holding `start` down to the first empty line
/// (or the box's end), words joined by one space.
fn note_from(screen: &str, start: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let first = lines
        .iter()
        .position(|l| l.contains(start))
        .unwrap_or_else(|| panic!("{start:?} is not on the screen:\n{screen}"));
    let mut words = Vec::new();
    for (i, l) in lines[first..].iter().enumerate() {
        let inner: String = l.trim_matches(|c: char| c == '│' || c == ' ').to_string();
        if inner.is_empty() || inner.starts_with('└') {
            break;
        }
        let inner = if i == 0 {
            inner
                .get(inner.find(start).unwrap_or(0)..)
                .unwrap_or_default()
                .to_string()
        } else {
            inner
        };
        words.extend(inner.split_whitespace().map(str::to_string));
    }
    words.join(" ")
}

/// To the Fix overlay on the failing Salaries row of missing-permission-sets.
async fn fix_overlay_on_salaries(d: &mut Driver) {
    d.expect("Demo org").await;
    d.key(KeyCode::Char('r'));
    d.expect("Done:").await;
    d.key(KeyCode::Char('4'));
    d.expect("FAIL ✗ Sage People Salaries API").await;
    d.key(KeyCode::Down);
    d.key(KeyCode::Down);
    d.key(KeyCode::Char('f'));
    d.expect("[apply] PERMISSION_SET_MISSING").await;
}

/// A failed admin login in the Fix overlay shows whole (wrapped, never cut with "…"), is kept
/// in the message history (`m`), and the username typed stays in the form, also after the
/// overlay is closed and opened again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_admin_login_shows_whole_stays_in_m_and_keeps_the_username() {
    let mut d = Driver::start_sized("missing-permission-sets", (80, 24), |_| {}).await;
    fix_overlay_on_salaries(&mut d).await;
    d.key(KeyCode::Enter);
    d.expect("Admin username  admin@acme-hr.example").await;
    d.send(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    d.send(KeyEvent::new(KeyCode::End, KeyModifiers::NONE));
    d.send(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    d.typed("ops-admin@acme-hr.example");
    d.expect("Admin username  ops-admin@acme-hr.example").await;
    d.key(KeyCode::Enter);
    d.typed("not-the-password");
    d.key(KeyCode::Enter);
    let screen = d.expect("The admin's login failed").await;
    let note = note_from(&screen, "The admin's login failed");
    assert!(!note.contains('…'), "cut: {note}\n{screen}");
    assert!(
        note.len() > 60,
        "the finding is in the note, not only its start: {note}"
    );
    assert!(!screen.contains("not-the-password"), "{screen}");
    // The message history has it, word for word.
    d.key(KeyCode::Esc);
    d.key(KeyCode::Char('m'));
    let history = d.expect("Messages (").await;
    let kept = note_from(&history, "The admin's login failed");
    assert!(kept.starts_with(&note), "m: {kept}\nfix overlay: {note}");
    d.key(KeyCode::Esc);
    // The username stays: in the form at once, and when the overlay opens again.
    d.key(KeyCode::Char('f'));
    d.expect("[apply] PERMISSION_SET_MISSING").await;
    d.key(KeyCode::Enter);
    d.expect("Admin username  ops-admin@acme-hr.example").await;
    d.key(KeyCode::Esc);
    d.key(KeyCode::Esc); // the overlay closes, then q quits
    d.quit().await;
}

/// The undo list is the report's own `changes`: after `y` the change is listed and its fix
/// marked applied; the overlay opened again reads a plan without it; after `u` and `y` the list
/// is current at once — the set is offered again, nothing is listed as made here, and "Nothing
/// to fix" never shows beside items.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fix_list_is_current_after_apply_and_undo() {
    let mut d = Driver::start_sized("missing-permission-sets", (100, 40), |_| {}).await;
    fix_overlay_on_salaries(&mut d).await;
    d.key(KeyCode::Enter);
    d.expect("Admin username  admin@acme-hr.example").await;
    d.key(KeyCode::Enter);
    d.typed(ADMIN_PASSWORD);
    d.key(KeyCode::Enter);
    d.expect("y: yes, change the org").await;
    d.key(KeyCode::Char('y'));
    let screen = d
        .expect("✓ [applied] PERMISSION_SET_MISSING — Sage People Salaries API")
        .await;
    assert!(
        screen.contains("Changes made here (u undoes them)")
            && screen.contains("created Sage People Salaries API"),
        "{screen}"
    );
    // Opened again: the plan read now no longer holds the set fixed; the change still stands.
    d.key(KeyCode::Esc);
    d.expect("PASS ✓ Sage People Salaries API").await;
    d.key(KeyCode::Char('f'));
    let screen = d
        .expect_without(
            "PERMISSION_SET_MISSING — Sage People Bonuses API",
            "Sage People Salaries API →",
        )
        .await;
    assert!(
        screen.contains("created Sage People Salaries API"),
        "{screen}"
    );
    assert!(!screen.contains("Nothing to fix"), "{screen}");
    d.key(KeyCode::Char('u'));
    d.expect("delete 1 PermissionSetAssignment(s) made here?")
        .await;
    d.key(KeyCode::Char('y'));
    // Undone: the set is offered again, nothing stands as made here.
    let screen = d
        .expect_without(
            "[apply] PERMISSION_SET_MISSING — Sage People Salaries API",
            "Changes made here",
        )
        .await;
    assert!(screen.contains("re-probed Salaries: FAIL"), "{screen}");
    assert!(!screen.contains("Nothing to fix"), "{screen}");
    d.key(KeyCode::Char('u'));
    d.expect("Nothing changed here to undo.").await;
    d.key(KeyCode::Esc); // the overlay closes, then q quits
    d.quit().await;
}

/// `C` in 80 columns: every row whole inside its box, and a coverage stopped at the config
/// file's `coverage_limit` says so and names the setting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coverage_table_fits_80_columns_and_names_its_limit() {
    let config = sagediag::settings::Settings {
        coverage_limit: Some(3),
        ..Default::default()
    };
    let mut d = Driver::start_sized("healthy", (80, 24), |app| {
        app.update(Msg::Settings(Box::new(config)));
    })
    .await;
    d.expect("Demo org").await;
    d.key(KeyCode::Char('r'));
    d.expect("Done:").await;
    d.key(KeyCode::Char('C'));
    let screen = d.expect("Field coverage — ").await;
    assert!(
        screen.contains("Stopped at the limit of 3 employees: coverage_limit in the config file"),
        "{screen}"
    );
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("│") && (l.contains('%') || l.contains("Populated")))
        .collect();
    assert!(rows.len() > 5, "{screen}");
    for row in &rows {
        let cells: Vec<char> = row.chars().collect();
        assert!(cells.len() <= 80, "{row}");
        // Inside the box: the row ends with its percentage (or the header's %), then the border.
        let inner = row.trim_end().trim_end_matches('│').trim_end();
        assert!(
            inner.ends_with('%') && !inner.contains('…'),
            "cut: {row:?}\n{screen}"
        );
    }
    assert!(screen.contains("emailAddress"), "{screen}");
    // The rows below the box's fold are reached by scrolling.
    assert!(!screen.contains("workAddress.country"), "{screen}");
    d.key(KeyCode::End);
    d.expect("workAddress.country").await;
    d.key(KeyCode::Esc);
    d.key(KeyCode::Esc); // the overlay closes, then q quits
    d.quit().await;
}

fn demo_app() -> App {
    let mut app = App::new();
    app.set_demo(
        "healthy",
        "http://127.0.0.1:40000",
        "3MVG9key",
        "5A1D4E7C9B2F",
        "integration@acme-hr.example",
    );
    app
}

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn grid(app: &App, w: u16, h: u16) -> Vec<Vec<String>> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| {
        ui::draw(f, app);
    })
    .unwrap();
    let buf = t.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect())
        .collect()
}

/// The box titled `title` on `g`: a blank margin left and right of it on every row, and the
/// column inside its left border blank (padding). Returns the box's rows.
fn margins_are_clear(g: &[Vec<String>], title: &str) -> std::ops::RangeInclusive<usize> {
    let top = g
        .iter()
        .position(|row| row.concat().contains(title))
        .unwrap_or_else(|| panic!("no box {title:?}"));
    let left = g[top].iter().position(|c| c == "┌").unwrap();
    let right = left
        + g[top][left..]
            .iter()
            .position(|c| c == "┐" || c == "▲")
            .unwrap();
    let bottom = top
        + g[top..]
            .iter()
            .position(|row| row[left] == "└")
            .expect("the box's bottom");
    let screen: String = g.iter().map(|r| r.concat() + "\n").collect();
    for (y, row) in g.iter().enumerate().take(bottom + 1).skip(top) {
        if left > 0 {
            assert_eq!(row[left - 1], " ", "row {y}: left margin\n{screen}");
        }
        if right + 1 < row.len() {
            assert_eq!(row[right + 1], " ", "row {y}: right margin\n{screen}");
        }
        if y > top && y < bottom {
            assert_eq!(row[left], "│", "row {y}: left border\n{screen}");
            assert_eq!(row[left + 1], " ", "row {y}: left padding\n{screen}");
        }
    }
    top..=bottom
}

/// An overlay clears a margin around its box: nothing from behind touches its border, and the
/// column inside each border is padding, wrapped lines included. The message history (`m`)
/// wraps each message whole and opens on the newest, however many came before.
#[test]
fn overlays_clear_their_margins() {
    let mut app = demo_app();
    // Text behind on every row: step 1 and the log pane.
    app.update(key(KeyCode::Char('?')));
    margins_are_clear(&grid(&app, 120, 40), "┌ Keys");
    app.update(key(KeyCode::Esc));
    for i in 0..40 {
        app.update(Msg::Say(format!(
            "Message {i}: a status line long enough to wrap in a box of an 80-column terminal, \
             with a URL http://localhost:40000/services/data/v62.0/sobjects/PermissionSetAssignment/0Pa{i:04}"
        )));
    }
    app.update(key(KeyCode::Char('m')));
    let g = grid(&app, 80, 24);
    let rows = margins_are_clear(&g, "┌ Messages (");
    let text: String = g[rows].iter().map(|r| r.concat()).collect();
    assert!(text.contains("Message 39:"), "{text}");
    assert!(text.contains("0Pa0039"), "the newest, whole: {text}");
}

/// A JWT private key file that is not there is the form's own error naming the path: `r`
/// starts no run (no finding, no Setup fix).
#[test]
fn a_missing_jwt_key_file_is_a_local_error_naming_the_path() {
    let mut app = demo_app();
    app.update(key(KeyCode::Char('2')));
    // The flow field (client id, secret, username, flow): Enter cycles web → device → jwt.
    for _ in 0..3 {
        app.update(key(KeyCode::Down));
    }
    app.update(key(KeyCode::Enter));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.form.flow, sagediag::engine::Flow::Jwt);
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Enter));
    let path = "/nonexistent/sagediag-test/server.key";
    for c in path.chars() {
        app.update(key(KeyCode::Char(c)));
    }
    app.update(key(KeyCode::Enter));
    let effects = app.update(key(KeyCode::Char('r')));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::StartRun { .. })),
        "no run"
    );
    let said = app.status.current.clone().unwrap_or_default();
    assert!(
        said.contains(path) && said.contains("Private key file"),
        "{said}"
    );
    assert!(!said.contains("Setup"), "{said}");
}
