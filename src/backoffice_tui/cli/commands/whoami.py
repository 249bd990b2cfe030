"""``backoffice whoami``: the operator this command acts as, and why."""

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_facts, print_json
from backoffice_tui.cli.state import CliState, pass_state


@click.command()
@json_option
@pass_state
def whoami(state: CliState, as_json: bool) -> None:
    """Who you are to this database: login, name, admin, and what said so
    (gateway, database login, os login or --user)."""
    actor = state.actor()
    facts = {
        "login": actor.login,
        "name": actor.name,
        "admin": actor.is_admin,
        "identified_by": state.identity_source().value,
        "acting_admin": actor.real_login,
    }
    if as_json:
        print_json(facts)
        return
    print_facts(
        [
            ("login", actor.label),
            ("name", actor.name),
            ("admin", "yes" if actor.is_admin else "no"),
            ("identified by", facts["identified_by"]),
        ]
    )
