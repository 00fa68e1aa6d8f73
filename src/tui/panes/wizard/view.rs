//! What the Link wizard pane draws: the step rail, the input rows, the values to paste, the
//! state and the notes. Pure over `&WizardPane`.

use super::*;
use crate::wizard::LinkKind;

impl WizardPane {
    /// The whole pane.
    pub(super) fn draw_pane(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        let block = cx.theme.block().title(" Link wizard ");
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if inner.height < 3 || inner.width < 10 {
            return;
        }
        let view = self.wizard.view();
        let [rail, title, body] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(inner);
        let step = self.wizard.step();
        let skipped = step >= Step::Authorize && !self.wizard.link_created();
        // On Target the rail is the path of the kind chosen there.
        let o2_target = step == Step::Target && self.wizard.link_kind() == LinkKind::OAuth2;
        let rail_line = match self.wizard.oauth2() {
            Some(f) => oauth2_rail(Some(f.step()), cx.theme),
            None if o2_target => oauth2_rail(None, cx.theme),
            None => progress_rail(step, skipped, cx.theme, rail.width),
        };
        frame.render_widget(Paragraph::new(rail_line), rail);
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!("Step {} of {} · {}", view.number, view.total, view.title),
                cx.theme.accent(),
            )),
            title,
        );
        let (lines, focus_line, cursor) = self.body_lines(&view, cx, body.width);
        // Keep the focused row visible: scroll so it sits in the lower third at most.
        let height = body.height as usize;
        let focus_scroll = focus_line
            .map(|l| l.saturating_sub(height.saturating_sub(height / 3 + 1)))
            .unwrap_or(0);
        // Wrapped lines make the exact total unknown here; never scroll past the last line.
        let scroll = (focus_scroll + self.scroll as usize).min(lines.len().saturating_sub(1));
        let wrapped_ok = !lines.is_empty();
        // Rows the lines take once wrapped (at least; word wrap can only add): when they do not
        // all fit, the last row says so instead of hiding the rest below the fold.
        let wide = usize::from(body.width.max(1));
        let total: usize = lines.iter().map(|l| l.width().max(1).div_ceil(wide)).sum();
        let more = total > scroll + height && body.height > 2;
        let text_area = if more {
            Rect {
                height: body.height - 1,
                ..body
            }
        } else {
            body
        };
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
            text_area,
        );
        if more {
            let marker = Rect {
                y: body.bottom() - 1,
                height: 1,
                ..body
            };
            frame.render_widget(
                Paragraph::new(Line::styled(
                    cx.theme
                        .text("▼ more below — PgDn scrolls, j moves to the next row"),
                    cx.theme.warn(),
                )),
                marker,
            );
        }
        if let (Some((line, col)), true) = (cursor, wrapped_ok) {
            if line >= scroll && line - scroll < height {
                let y = body.y + u16::try_from(line - scroll).unwrap_or(0);
                let x = body.x + u16::try_from(col).unwrap_or(0);
                if x < body.right() {
                    frame.set_cursor_position(Position::new(x, y));
                }
            }
        }
    }

    /// The body: input rows, state, values, notes. Returns the lines, the focused row's line and
    /// the text cursor (line, column) when a field is being edited. Rows before the focused one are
    /// single lines (long values are cut there, shown in full in the values section), so the line
    /// index is exact for scrolling.
    fn body_lines(
        &self,
        view: &StepView,
        cx: &ViewCx<'_>,
        width: u16,
    ) -> (Vec<Line<'static>>, Option<usize>, Option<(usize, usize)>) {
        let theme = cx.theme;
        let width = width as usize;
        let mut lines: Vec<Line<'static>> = Vec::new();
        let mut focus_line = None;
        let mut cursor = None;
        const LABEL: usize = 20;
        let items = self.items();
        let marker = |focused: bool| if focused { "› " } else { "  " };
        if let Some(b) = &view.busy {
            lines.push(Line::styled(
                format!("{} {b}", theme.spinner(cx.spinner)),
                theme.busy(),
            ));
        }
        for (i, item) in items.iter().enumerate() {
            let focused = i == self.focus && !self.confirming;
            let style = if focused {
                theme.selected()
            } else {
                Style::default()
            };
            let row = match item {
                Item::Text(id) => {
                    let label = format!("{}{:<LABEL$} ", marker(focused), id.label());
                    let room = width.saturating_sub(label.chars().count() + 1).max(1);
                    let field = self.texts.get(id).cloned().unwrap_or_default();
                    let (shown, col) = field.render(room, theme.mask_char());
                    if focused && self.editing() {
                        cursor = Some((lines.len(), label.chars().count() + col));
                    }
                    let value = if field.value().is_empty() {
                        Span::styled(truncate(&self.placeholder(*id), room), theme.dim())
                    } else {
                        Span::raw(shown)
                    };
                    Line::from(vec![Span::styled(label, style), value])
                }
                Item::Bits => choice_line(
                    marker(focused),
                    "Key size",
                    &format!("{} bits", self.wizard.key_bits()),
                    style,
                    theme,
                ),
                Item::Admin => choice_line(
                    marker(focused),
                    "Admin connection",
                    self.wizard.admin().unwrap_or("(none: Space to choose)"),
                    style,
                    theme,
                ),
                Item::Format => choice_line(
                    marker(focused),
                    "Export format",
                    self.export_format.as_str(),
                    style,
                    theme,
                ),
                Item::Kind => choice_line(
                    marker(focused),
                    "Link kind",
                    self.wizard.link_kind().label(),
                    style,
                    theme,
                ),
                Item::Action(cmd) => Line::styled(
                    format!(
                        "{}[ {} ]",
                        marker(focused),
                        action_label(*cmd, self.wizard.oauth2().is_some())
                    ),
                    if focused { style } else { theme.accent() },
                ),
                Item::Copy(id) => {
                    let f = view.fields.iter().find(|f| f.id == *id);
                    let label = f.map(|f| f.label.clone()).unwrap_or_default();
                    Line::styled(
                        format!("{}copy: {label}", marker(focused)),
                        if focused { style } else { theme.dim() },
                    )
                }
            };
            if focused {
                focus_line = Some(lines.len());
            }
            lines.push(row);
        }
        if self.confirming {
            lines.push(Line::raw(""));
            let admin = self.wizard.admin().unwrap_or_default();
            focus_line = Some(lines.len());
            lines.push(Line::styled(
                format!(
                    "Create this link in Jira now, with the credentials of \"{admin}\"? y = create, n = cancel"
                ),
                theme.warn(),
            ));
        }
        if let Some(page) = self.allow_page_now().filter(|_| step_is_authorize(view)) {
            lines.push(Line::raw(""));
            match page {
                Ok(address) if self.wizard.oauth2().is_some() => {
                    lines.push(Line::styled(
                        "Simulated browser (demo) after clicking Allow went to:",
                        theme.accent(),
                    ));
                    lines.push(Line::raw(format!("  {address}")));
                    lines.push(Line::raw(
                        "  It is filled in above as if pasted: Enter submits it.",
                    ));
                }
                Ok(code) => {
                    lines.push(Line::styled(
                        "Simulated Jira page (demo) after clicking Allow:",
                        theme.accent(),
                    ));
                    lines.push(Line::raw(format!(
                        "  Access Approved. Your verification code is '{code}'. Enter it in the application."
                    )));
                }
                Err(e) => lines.push(Line::styled(
                    format!("Simulated Allow failed: {e}"),
                    theme.error(),
                )),
            }
        }
        if !view.errors.is_empty() || !view.warnings.is_empty() {
            lines.push(Line::raw(""));
        }
        for e in &view.errors {
            lines.push(Line::styled(
                format!("{} {e}", theme.sym_fail()),
                theme.error(),
            ));
        }
        for w in &view.warnings {
            lines.push(Line::styled(
                format!("{} {w}", theme.sym_warn()),
                theme.warn(),
            ));
        }
        if let Some(saved) = &self.saved {
            lines.push(match saved {
                Ok(name) => Line::styled(
                    format!(
                        "{} Saved as connection \"{name}\" in {} (check it on the Connections pane).",
                        theme.sym_ok(),
                        self.ctx.config_path.display()
                    ),
                    theme.ok(),
                ),
                Err(e) => Line::styled(
                    format!("{} Not saved: {e}", theme.sym_fail()),
                    theme.error(),
                ),
            });
        }
        // What to do (menu path, instructions) before the values, so it is on screen first.
        if !view.notes.is_empty() {
            lines.push(Line::raw(""));
            for n in &view.notes {
                lines.push(Line::styled(theme.text(n), theme.dim()));
            }
        }
        let values: Vec<&Field> = view
            .fields
            .iter()
            .filter(|f| !self.shown_as_input(f))
            .collect();
        if !values.is_empty() {
            lines.push(Line::raw(""));
            for f in values {
                let value = if f.value.is_empty() {
                    "(leave empty)".to_string()
                } else {
                    f.value.clone()
                };
                let copy = if f.copyable { "  [c]" } else { "" };
                let label = format!("{}:", f.label);
                let one_line = !value.contains('\n')
                    && label.chars().count() + 1 + value.chars().count() + copy.len() <= width;
                if one_line {
                    lines.push(Line::from(vec![
                        Span::styled(label, theme.accent()),
                        Span::raw(format!(" {value}")),
                        Span::styled(copy.to_string(), theme.dim()),
                    ]));
                } else {
                    // Shown in full (wrapped, never cut) so it can be selected by hand.
                    lines.push(Line::from(vec![
                        Span::styled(label, theme.accent()),
                        Span::styled(copy.to_string(), theme.dim()),
                    ]));
                    // At column 0, with no indent, so a mouse selection copies only the value.
                    for l in value.lines() {
                        lines.push(Line::raw(l.to_string()));
                    }
                }
                if let Some(n) = &f.note {
                    lines.push(Line::styled(format!("  ({n})"), theme.dim()));
                }
            }
            if view.fields.iter().any(|f| f.copyable) {
                lines.push(Line::styled(
                    "Select a copy row and press c (OSC 52, works over SSH), or select the text with the mouse.",
                    theme.dim(),
                ));
            }
        }
        (lines, focus_line, cursor)
    }
}

fn step_is_authorize(view: &StepView) -> bool {
    view.step == Step::Authorize
}

fn choice_line(
    marker: &str,
    label: &str,
    value: &str,
    style: Style,
    theme: &crate::tui::theme::Theme,
) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{marker}{label:<20} "), style),
        Span::raw(format!("‹ {value} ›")),
        Span::styled("  (Space changes)", theme.dim()),
    ])
}

/// The OAuth 2.0 path's rail: Target → Settings → Register → Authorize → Verify; `None` = on
/// Target.
fn oauth2_rail(current: Option<O2Step>, theme: &crate::tui::theme::Theme) -> Line<'static> {
    let arrow = if theme.ascii { " > " } else { " → " };
    let mut spans = vec![
        match current {
            Some(_) => Span::styled("Target", theme.ok()),
            None => Span::styled("[Target]", theme.selected()),
        },
        Span::styled(arrow, theme.dim()),
    ];
    let all = [
        (O2Step::Settings, "Settings"),
        (O2Step::Register, "Register"),
        (O2Step::Authorize, "Authorize"),
        (O2Step::Verify, "Verify"),
    ];
    for (i, (s, label)) in all.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(arrow, theme.dim()));
        }
        spans.push(match Some(*s).cmp(&current) {
            std::cmp::Ordering::Equal => Span::styled(format!("[{label}]"), theme.selected()),
            std::cmp::Ordering::Less => Span::styled(label.to_string(), theme.ok()),
            std::cmp::Ordering::Greater => Span::styled(label.to_string(), theme.dim()),
        });
    }
    spans.push(Span::styled("  (OAuth 2.0)", theme.dim()));
    Line::from(spans)
}

fn action_label(cmd: WizardCmd, oauth2: bool) -> &'static str {
    match cmd {
        WizardCmd::NewToken if oauth2 => "New attempt: fresh URL, state and PKCE verifier (r)",
        WizardCmd::Create if oauth2 => "Create the OAuth 2.0 link in Jira now…",
        WizardCmd::UseCredentials => "Use this client id and secret",
        WizardCmd::NextStep => "Next step",
        WizardCmd::Generate => "Generate a new key pair (g)",
        WizardCmd::LoadKey => "Use that existing key",
        WizardCmd::Skip => "I registered it by hand: skip to Authorize (s)",
        WizardCmd::Create => "Create the link in Jira now…",
        WizardCmd::NewToken => "Request a new token (r)",
        WizardCmd::Approve => "Demo: click Allow in the simulated Jira (A)",
        WizardCmd::Export => "Write the export (x)",
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}
