"""``workweave keys ...``: the key store linking participant codes to real identities, kept
apart from the study store and encrypted with a key the study store does not hold."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from workweave.cli.common import StoreOpt, StudyOpt, friendly, out

keys_app = typer.Typer(
    help="The key store: codes linked to real identities, encrypted, for custodians only.",
    no_args_is_help=True,
)

KeyFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="File holding the key (default: WORKWEAVE_KEYSTORE_KEY_FILE or "
        "WORKWEAVE_KEYSTORE_KEY).",
        show_default=False,
    ),
]
KeyStoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--keystore",
        help="The key-store file (default: WORKWEAVE_KEYSTORE, else keys.fernet in the "
        "workspace folder).",
        show_default=False,
    ),
]
CustodianOpt = Annotated[
    str,
    typer.Option(
        "--as", help="Your user name: a user with the custodian role.", show_default=False
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")


@keys_app.command("new-key")
@friendly
def keys_new_key(
    file: Annotated[Path, typer.Argument(help="Where to write the new key (owner-only).")],
) -> None:
    """Make a new key file for the key store. Keep it away from the study store and its
    backups: whoever holds both can link codes to people."""
    from workweave.io.keystore import write_key_file

    write_key_file(file)
    out.print(f"key written to {file} (mode 600); keep it apart from the study store")


def _open(
    custodian: str,
    store: str | None,
    study: str | None,
    keystore: Path | None,
    key_file: Path | None,
) -> tuple[Any, int, Any]:
    from workweave.cli.common import open_study
    from workweave.services import governance

    st, sid, _ = open_study(store, study)
    ks = governance.open_keystore(st, custodian, keystore, key_file)
    return st, sid, ks


@keys_app.command("add")
@friendly
def keys_add(
    code: Annotated[str, typer.Argument(help="The participant's code.", show_default=False)],
    custodian: CustodianOpt,
    name: Annotated[str, typer.Option(help="The person's name.")] = "",
    email: Annotated[str, typer.Option(help="The person's e-mail address.")] = "",
    notes: Annotated[str, typer.Option(help="Anything else needed to reach them.")] = "",
    keystore: KeyStoreOpt = None,
    key_file: KeyFileOpt = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Record who a participant code is (replacing an earlier record). Audited."""
    from workweave.services import governance

    st, sid, ks = _open(custodian, store, study, keystore, key_file)
    governance.keys_add(st, sid, ks, code, name=name, email=email, notes=notes)
    out.print(f"identity of {code} stored in {ks.path}")


@keys_app.command("show")
@friendly
def keys_show(
    code: Annotated[str, typer.Argument(help="The participant's code.", show_default=False)],
    custodian: CustodianOpt,
    keystore: KeyStoreOpt = None,
    key_file: KeyFileOpt = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Who a participant code is. Audited."""
    from rich.markup import escape

    from workweave.services import governance

    st, sid, ks = _open(custodian, store, study, keystore, key_file)
    who = governance.keys_show(st, sid, ks, code)
    out.print(
        f"{escape(who.code)}: {escape(who.name)} <{escape(who.email)}>"
        + (f"\n  {escape(who.notes)}" if who.notes else "")
    )


@keys_app.command("list")
@friendly
def keys_list(
    custodian: CustodianOpt,
    keystore: KeyStoreOpt = None,
    key_file: KeyFileOpt = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """The codes the key store holds an identity for (codes only). Audited."""
    from workweave.services import governance

    st, sid, ks = _open(custodian, store, study, keystore, key_file)
    codes = governance.keys_list(st, sid, ks)
    out.print("\n".join(codes) if codes else "the key store holds no identity for this study")


__all__ = ["keys_app", "register"]
