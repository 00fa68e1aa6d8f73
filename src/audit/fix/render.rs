//! A plan as people read it: what is missing, the changes as the REST calls, the exact gains, the
//! alternatives. `jiralink fix` prints it; the TUI's checker shows it line by line.

use super::Plan;

/// The plan as people read it: what is missing, the REST calls, the exact gains, alternatives.
pub fn render_plan(plan: &Plan) -> String {
    let mut s = format!(
        "{} misses {} permission(s):\n",
        plan.subject,
        plan.missing.len()
    );
    for t in plan.missing.iter().take(20) {
        s.push_str(&format!(
            "  {} in {}\n",
            crate::audit::permissions::display_name(&t.permission),
            t.project
        ));
    }
    if plan.missing.len() > 20 {
        s.push_str(&format!("  … and {} more\n", plan.missing.len() - 20));
    }
    s.push_str(&format!(
        "\nplan ({} change(s), in order):\n",
        plan.changes.len()
    ));
    for (i, c) in plan.changes.iter().enumerate() {
        s.push_str(&format!(
            "  {}. {}\n     {}\n",
            i + 1,
            c.describe(),
            c.rest_call()
        ));
    }
    s.push_str(&format!(
        "\ngains (exact, all users × all projects on the affected schemes): {} triple(s)\n  {}\n",
        plan.gains.count, plan.gains.summary
    ));
    if plan.admin_class {
        s.push_str("  warning: this plan is admin-class (Administer Projects)\n");
    }
    if !plan.alternatives.is_empty() {
        s.push_str("\nnot chosen (more gains or more changes):\n");
        for c in plan.alternatives.iter().take(6) {
            s.push_str(&format!(
                "  - {} → {} triple(s): {}\n",
                short_summary(c),
                c.gains.count,
                c.gains.summary
            ));
        }
        if plan.alternatives.len() > 6 {
            s.push_str(&format!(
                "  … and {} more (--format json lists them all)\n",
                plan.alternatives.len() - 6
            ));
        }
    }
    for (p, perm, why) in &plan.uncovered {
        s.push_str(&format!("  cannot fix {perm} in {p}: {why}\n"));
    }
    s
}

/// At most [`SHOWN_CHANGES`] changes of a candidate in words, then how many more.
fn short_summary(c: &super::Candidate) -> String {
    let mut parts: Vec<String> = c
        .changes
        .iter()
        .take(SHOWN_CHANGES)
        .map(super::Change::describe)
        .collect();
    if c.changes.len() > SHOWN_CHANGES {
        parts.push(format!("… ({} changes in all)", c.changes.len()));
    }
    parts.join(", then ")
}

/// How many changes of an alternative the text names.
const SHOWN_CHANGES: usize = 3;
