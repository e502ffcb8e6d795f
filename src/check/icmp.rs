//! Placeholder: see the issue-14 helper task.
