"""`mutagrad exercise ...`: classroom exercises, hints, answers and grades."""
from __future__ import annotations

import sys
import textwrap

import click

from .options import CATALOG_HELP, SANDBOX, SANDBOX_HELP, SHOW_WIDTH


@click.group()
def exercise():
    """Classroom exercises: a network with one hidden backprop bug to find and fix."""


DIFFICULTY = click.Choice(["easy", "medium", "hard"])


@exercise.command("new")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for the exercise.")
@click.option("--seed", type=click.IntRange(min=0), help="Picks the bug  [default: a random seed, printed]")
@click.option("--category", help="Only bugs of this category (`mutagrad list` shows them).")
@click.option("--difficulty", type=DIFFICULTY, help="Only bugs of this difficulty.")
@click.option("--catalog", type=click.Path(), help=CATALOG_HELP)
def exercise_new(out, seed, category, difficulty, catalog):
    """Write an exercise into OUT: model.py with one catalogued bug, and README.md for the student."""
    import secrets
    from pathlib import Path

    from ..classroom.exercise import new

    seed = secrets.randbelow(2 ** 31) if seed is None else seed
    ex = new(out, seed=seed, category=category, difficulty=difficulty, catalog=catalog)
    click.echo(f"wrote {Path(out) / 'model.py'} and {Path(out) / 'README.md'} "
               f"({ex.difficulty}; --seed {seed} makes the same one)")


@exercise.command("answer")
@click.argument("folder", type=click.Path(file_okay=False))
@click.argument("component")
def exercise_answer(folder, component):
    """Is COMPONENT (dW2, say) the first wrong gradient of the exercise in FOLDER? Exit 0 if so, 1 if not."""
    from ..classroom.exercise import answer

    right, message = answer(folder, component)
    click.echo(message)
    sys.exit(0 if right else 1)


@exercise.command("hint")
@click.argument("folder", type=click.Path(file_okay=False))
def exercise_hint(folder):
    """Print the hint for the exercise in FOLDER."""
    from ..classroom.exercise import hint

    click.echo(textwrap.fill(f"hint: {hint(folder)}", SHOW_WIDTH))


@exercise.command("grade")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--sandbox", type=SANDBOX, default="auto", show_default=True, help=SANDBOX_HELP)
def exercise_grade(folder, sandbox):
    """Grade FOLDER/model.py: it must pass the check and match the original network. Exit 0 or 1."""
    from ..classroom.grading import grade
    from ..execution.sandbox import note, resolve

    if why := note(resolve(sandbox)):
        click.echo(f"note: {why}", err=True)
    result = grade(folder, sandbox=sandbox)
    click.echo(click.style("correct" if result.passed else "wrong", fg="green" if result.passed else "red", bold=True)
               + ": " + result.reasons[0])
    for reason in result.reasons[1:]:
        click.echo(f"  and: {reason}")
    sys.exit(0 if result.passed else 1)


@exercise.command("class")
@click.option("--roster", required=True, type=click.Path(dir_okay=False),
              help="Student names, one a line, or a CSV with a name column.")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder for one exercise folder per student and answer_key.csv.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="The class seed.")
@click.option("--difficulty", type=DIFFICULTY, help="Only bugs of this difficulty.")
@click.option("--catalog", type=click.Path(), help=CATALOG_HELP)
def exercise_class(roster, out, seed, difficulty, catalog):
    """One exercise per student of ROSTER, and the instructor's answer key OUT/answer_key.csv."""
    from pathlib import Path

    from ..classroom.class_set import make_class

    rows = make_class(roster, out, seed=seed, difficulty=difficulty, catalog=catalog)
    for student, folder, *_ in rows:
        click.echo(f"{student}: {Path(out) / folder}")
    click.echo(f"{len(rows)} exercises; answer key: {Path(out) / 'answer_key.csv'} "
               f"(it names every student's bug: keep it, do not hand it out)")
