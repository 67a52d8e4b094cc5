"""The command line's interface in Vietnamese: help pages, usage lines and usage errors.

Typer (0.29, with its own copy of click) writes its help and its usage errors in English
and offers no translation for them. The command and group classes below keep typer's
parsing and replace only what people read: the help page (``-h``/``--help``), the usage
line and the message of a usage error ("Thiếu tùy chọn", "Không có tùy chọn", ...), all
from the catalogue (:mod:`capnuoc_model.data.messages`). Defaults are shown in full, paths
as the user would type them.
"""

from __future__ import annotations

import difflib
import io as stdio
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Sequence

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from typer import _click  # typer's own click: the exception classes raised by its parser
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from capnuoc_model.data.messages import text

HELP_OPTION_NAMES = ["-h", "--help"]


def _width() -> int:
    return max(60, min(shutil.get_terminal_size((100, 24)).columns, 140))


def _show_default(value: Any) -> str | None:
    """A default as the user would type it: paths relative to the working directory, whole numbers without '.0'."""
    if value is None or value is False or value == [] or value == ():
        return None
    if isinstance(value, Path):
        from capnuoc_model.data.io import display_path

        return display_path(value)
    if isinstance(value, bool):
        return None
    return str(value)


def _names(param: _click.Parameter) -> str:
    if isinstance(param, TyperArgument):
        return (param.metavar or param.name.upper()) + ("..." if param.nargs != 1 else "")
    return ", ".join(sorted(list(param.opts) + list(param.secondary_opts), key=lambda o: (o.startswith("--"), o)))


def _metavar(param: _click.Parameter) -> str:
    if isinstance(param, TyperArgument) or getattr(param, "is_flag", False) or getattr(param, "count", False):
        return ""
    return param.metavar or text("cli.metavar_value")


def _help_text(param: _click.Parameter) -> str:
    parts = [getattr(param, "help", None) or ""]
    if getattr(param, "required", False):
        parts.append(text("cli.required"))
    elif getattr(param, "show_default", True) is not False:
        shown = _show_default(param.default)
        if shown is not None and not callable(param.default):
            parts.append(text("cli.default", value=shown))
    return " ".join(p for p in parts if p)


def render_help(command: _click.Command, ctx: _click.Context) -> str:
    """The help page of a command or of the group, as text."""
    buffer = stdio.StringIO()
    console = Console(file=buffer, width=_width(), highlight=False, color_system=None, emoji=False)
    console.print(text("cli.usage", usage=_usage(command, ctx)), markup=False, soft_wrap=True)
    console.print()
    if command.help:
        console.print(" " + command.help.strip(), markup=False)
        console.print()
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    for title, kind in ((text("cli.arguments"), TyperArgument), (text("cli.options"), TyperOption)):
        chosen = [p for p in params if isinstance(p, kind)]
        if not chosen:
            continue
        table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0), expand=True)
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(ratio=1, overflow="fold")
        for param in chosen:
            table.add_row(Text(_names(param)), Text(_metavar(param)), Text(_help_text(param)))
        console.print(Panel(table, title=title, title_align="left", border_style="dim"))
    if isinstance(command, TyperGroup):
        table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0), expand=True)
        table.add_column(no_wrap=True)
        table.add_column(ratio=1, overflow="fold")
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                table.add_row(Text(name), Text((sub.help or "").strip().split("\n")[0]))
        console.print(Panel(table, title=text("cli.commands"), title_align="left", border_style="dim"))
        console.print(" " + text("cli.command_help", prog=ctx.command_path), markup=False)
    return buffer.getvalue().rstrip("\n")


def _usage_pieces(command: _click.Command, ctx: _click.Context) -> list[str]:
    """[TÙY_CHỌN], then each argument (KỊCH_BẢN..., [TÀI_LIỆU] when it may be left out), then LỆNH for the group."""
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if isinstance(param, TyperArgument):
            name = _names(param)
            pieces.append(name if param.required else f"[{name}]")
    if isinstance(command, TyperGroup):
        pieces.append(text("cli.subcommand_metavar"))
    return pieces


def _usage(command: _click.Command, ctx: _click.Context) -> str:
    return " ".join([ctx.command_path, *_usage_pieces(command, ctx)])


class _Vietnamese:
    """What the command and the group share: the Vietnamese help page, usage line and help option."""

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        formatter.write(render_help(self, ctx) + "\n")

    def format_usage(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(_usage_pieces(self, ctx)), prefix=text("cli.usage_prefix"))

    def get_help_option(self, ctx: _click.Context):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = text("cli.help_option")
        return option


class Command(_Vietnamese, TyperCommand):
    """A capnuoc subcommand (``@app.command(cls=Command)``)."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs["options_metavar"] = text("cli.options_metavar")
        super().__init__(*args, **kwargs)


class Group(_Vietnamese, TyperGroup):
    """The ``capnuoc`` group: parses as typer does, reports usage errors in Vietnamese (exit code 2)."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs["options_metavar"] = text("cli.options_metavar")
        kwargs["subcommand_metavar"] = text("cli.subcommand_metavar")
        super().__init__(*args, **kwargs)

    def resolve_command(self, ctx: _click.Context, args: list[str]):
        """Command names are case-insensitive (``capnuoc CHECK``)."""
        if args and args[0].lower() in self.commands and args[0] not in self.commands:
            args = [args[0].lower(), *args[1:]]
        return super().resolve_command(ctx, args)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _click.exceptions.NoArgsIsHelpError as error:
            if not standalone_mode:
                raise
            typer.echo(error.ctx.get_help())
            sys.exit(0)
        except _click.exceptions.ClickException as error:
            if not standalone_mode:
                raise
            show_error(error)
            sys.exit(error.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            typer.echo(text("cli.aborted"), err=True)
            sys.exit(1)
        if standalone_mode:
            sys.exit(result if isinstance(result, int) else 0)
        return result


# ---------------------------------------------------------------------------- usage errors


def _param_name(param: _click.Parameter | None) -> str:
    if param is None:
        return "?"
    if isinstance(param, TyperArgument):
        return param.metavar or param.name.upper()
    longs = [o for o in param.opts if o.startswith("--")]
    return (longs or list(param.opts))[0]


def _bad_value(error: _click.exceptions.BadParameter) -> str:
    """'giá trị «5» không hợp lệ cho «--draws»: cần một số ≥ 100' from the validation behind the error."""
    from capnuoc_model.data.fmt import vn

    name = _param_name(error.param)
    cause = error.__cause__
    details = cause.errors(include_url=False) if hasattr(cause, "errors") else []
    if not details:
        return text("cli.error.bad_value_unknown", option=name)
    first = details[0]
    given, kind, limits = first.get("input"), first.get("type", ""), first.get("ctx") or {}
    number = lambda v: vn(float(v), 6, trim=True)  # noqa: E731
    expected = {
        "greater_than_equal": lambda: text("cli.expect.ge", value=number(limits.get("ge"))),
        "greater_than": lambda: text("cli.expect.gt", value=number(limits.get("gt"))),
        "less_than_equal": lambda: text("cli.expect.le", value=number(limits.get("le"))),
        "less_than": lambda: text("cli.expect.lt", value=number(limits.get("lt"))),
        "int_parsing": lambda: text("cli.expect.int"),
        "int_type": lambda: text("cli.expect.int"),
        "int_from_float": lambda: text("cli.expect.int"),
        "float_parsing": lambda: text("cli.expect.number"),
        "bool_parsing": lambda: text("cli.expect.bool"),
    }.get(kind, lambda: text("cli.expect.see_help"))()
    return text("cli.error.bad_value", value=given, option=name, expected=expected)


_EXTRA = re.compile(r"unexpected extra argument\(s\) \((?P<args>.*)\)", re.S)
_NO_COMMAND = re.compile(r"No such command '(?P<name>[^']*)'")
_TAKES_NO_VALUE = re.compile(r"does not take a value")


def error_message(error: _click.exceptions.ClickException) -> str:
    """The Vietnamese sentence for a usage error of typer's parser."""
    exceptions = _click.exceptions
    if isinstance(error, exceptions.NoSuchOption):
        hint = ""
        ctx = getattr(error, "ctx", None)
        known = list(error.possibilities or [])
        if ctx is not None:
            known += [o for p in ctx.command.get_params(ctx) for o in p.opts if o.startswith("-")]
        options = difflib.get_close_matches(error.option_name, sorted(set(known)), n=2)  # the closest first
        if options:
            hint = text("cli.error.did_you_mean", options=", ".join(options))
        return text("cli.error.no_such_option", option=error.option_name) + hint
    if isinstance(error, exceptions.MissingParameter):
        key = "cli.error.missing_argument" if isinstance(error.param, TyperArgument) else "cli.error.missing_option"
        return text(key, name=_param_name(error.param), help=(getattr(error.param, "help", None) or "").rstrip("."))
    if isinstance(error, exceptions.BadParameter):
        return _bad_value(error)
    if isinstance(error, exceptions.BadOptionUsage):
        key = "cli.error.takes_no_value" if _TAKES_NO_VALUE.search(error.message) else "cli.error.needs_value"
        return text(key, option=error.option_name)
    message = str(getattr(error, "message", ""))
    if match := _EXTRA.search(message):
        return text("cli.error.extra_arguments", args=match.group("args"))
    if match := _NO_COMMAND.search(message):
        ctx = getattr(error, "ctx", None)
        known = list(ctx.command.commands) if ctx is not None and hasattr(ctx.command, "commands") else []
        close = difflib.get_close_matches(match.group("name").lower(), known, n=2)
        hint = text("cli.error.did_you_mean", options=", ".join(close)) if close else ""
        return text("cli.error.no_such_command", name=match.group("name"), commands=", ".join(known)) + hint
    if "Missing command" in message:
        return text("cli.error.missing_command")
    return text("cli.error.other")


def show_error(error: _click.exceptions.ClickException) -> None:
    """Usage line, the error in Vietnamese and where to find help, on stderr."""
    ctx = getattr(error, "ctx", None)
    lines = []
    if ctx is not None:
        lines.append(text("cli.usage", usage=_usage(ctx.command, ctx)))
    lines.append(text("cli.error.prefix", message=error_message(error)))
    if ctx is not None:
        lines.append(text("cli.see_help", prog=ctx.command_path))
    typer.echo("\n".join(lines), err=True)


def version_callback(value: bool) -> None:
    """``capnuoc --version``: the version, then exit."""
    if value:
        import capnuoc_model

        typer.echo(text("cli.version", version=capnuoc_model.__version__))
        raise typer.Exit(0)


__all__ = ["Command", "Group", "HELP_OPTION_NAMES", "render_help", "error_message", "version_callback"]
