"""The layer build's step that compiles every email and report template to Python ahead of time
(`python -m quarterdeck.template_precompile`): Lambda cannot write /opt, so a cold start would
otherwise compile them from source. Apart from template_cache so that the cache, which mail
and the reports use, imports neither of them."""

from __future__ import annotations

from quarterdeck.template_cache import precompile


def precompile_app_templates() -> int:
    """The email and report templates, compiled with the environments the app renders them with."""
    from quarterdeck.mail import _environment as email_environment
    from quarterdeck.reports.render import _environment as report_environment

    return precompile(email_environment()) + precompile(report_environment())


if __name__ == "__main__":
    print(f"{precompile_app_templates()} templates compiled")
