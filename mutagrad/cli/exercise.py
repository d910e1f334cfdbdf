"""`mutagrad exercise ...`: classroom exercises, hints, answers and grades."""
from __future__ import annotations

import sys
import textwrap

import click

from .options import CATALOG_HELP, SANDBOX, SANDBOX_HELP, SEED, FullHelpGroup, show_width


@click.group(cls=FullHelpGroup)
def exercise():
    """Classroom exercises: a network with one hidden backprop bug to find and fix."""


DIFFICULTY = click.Choice(["easy", "medium", "hard"])


@exercise.command("new")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for the exercise.")
@click.option("--seed", type=SEED, help="Picks the bug  [default: a random seed, printed]")
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

    click.echo(textwrap.fill(f"hint: {hint(folder)}", show_width()))


@exercise.command("grade")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--key", type=click.Path(exists=True),
              help="The instructor's key: the class folder or its answer_key.csv (the student's row decides), "
                   "or its instructor.key (the folder's sealed .exercise.json decides). Without it: a self-check.")
@click.option("--student", help="The student's name or folder in the answer key  [default: FOLDER's name]")
@click.option("--results-json", type=click.Path(dir_okay=False),
              help="Also write Gradescope's autograder results.json here.")
@click.option("--max-score", type=click.FloatRange(min=0, min_open=True), default=2.0, show_default=True,
              help="Points in results.json, half for each of its two tests.")
@click.option("--sandbox", type=SANDBOX, default="auto", show_default=True, help=SANDBOX_HELP)
def exercise_grade(folder, key, student, results_json, max_score, sandbox):
    """Grade FOLDER/model.py: it must pass the check and match the original network. Exit 0 or 1."""
    from ..classroom.answer_key import instructors_exercise
    from ..classroom.grading import grade
    from ..classroom.gradescope import results, write_results
    from ..errors import MutagradError
    from ..execution.sandbox import note, resolve

    if student and not key:
        raise click.BadParameter("needs --key: the student is looked up in the instructor's key",
                                 param_hint="--student")
    if why := note(resolve(sandbox)):
        click.echo(f"note: {why}", err=True)
    try:
        result = grade(folder, instructors_exercise(folder, key, student) if key else None, sandbox=sandbox)
    except MutagradError as exc:
        if results_json:  # Gradescope shows the student why there is no score
            write_results(results_json, results(None, max_score=max_score, marked=bool(key), error=str(exc)))
        raise
    if results_json:
        write_results(results_json, results(result, max_score=max_score, marked=bool(key)))
    click.echo(click.style("correct" if result.passed else "wrong", fg="green" if result.passed else "red", bold=True)
               + ": " + result.reasons[0])
    for reason in result.reasons[1:]:
        click.echo(f"  and: {reason}")
    if not key:
        click.echo("  note: a self-check with this folder's own .exercise.json, not a grade for marks "
                   "(the instructor grades with their key)")
    sys.exit(0 if result.passed else 1)


@exercise.command("grade-class")
@click.argument("class_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--submissions", type=click.Path(file_okay=False),
              help="A folder of handed-in files named by student (anna-lee.py or anna-lee/model.py) "
                   "[default: each student's folder in CLASS_DIR]")
@click.option("--jobs", type=click.IntRange(min=1), help="Gradings at once  [default: the number of cores]")
@click.option("--out", type=click.Path(file_okay=False),
              help="Folder for gradebook.csv and its journal  [default: CLASS_DIR]")
@click.option("--scheduler", metavar="ADDRESS",
              help="Grade on a Dask cluster (e.g. tcp://127.0.0.1:8786); needs mutagrad[dask]. "
                   "--jobs is then the cluster's.")
def exercise_grade_class(class_dir, submissions, jobs, out, scheduler):
    """Grade every student of CLASS_DIR/answer_key.csv into a gradebook CSV; a rerun grades only what changed."""
    import os

    from ..classroom.gradebook import Result, grade_class, strays

    def show(row):
        click.echo(f"{row.student}: {row.result.value}" + ("" if row.result is Result.CORRECT else f": {row.reason}"))

    rows, path = grade_class(class_dir, submissions=submissions, jobs=jobs or os.cpu_count() or 1, out=out,
                             scheduler=scheduler, progress=show)
    if submissions:
        unknown = strays(class_dir, submissions)
        if unknown:
            click.echo(f"not graded, named after no student of the answer key: {', '.join(unknown)}")
    counts = {r: sum(row.result is r for row in rows) for r in Result}
    click.echo(f"{len(rows)} students: " + ", ".join(f"{n} {r.value}" for r, n in counts.items() if n)
               + f"; gradebook: {path}")


@exercise.command("class")
@click.option("--roster", required=True, type=click.Path(dir_okay=False),
              help="Student names, one a line, or a CSV with a name column.")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder for one exercise folder per student and answer_key.csv.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="The class seed.")
@click.option("--difficulty", type=DIFFICULTY, help="Only bugs of this difficulty.")
@click.option("--catalog", type=click.Path(), help=CATALOG_HELP)
@click.option("--ascii-names", is_flag=True, help="Plain-ASCII folder names (josé-garcía becomes jose-garcia).")
def exercise_class(roster, out, seed, difficulty, catalog, ascii_names):
    """One exercise per student of ROSTER, and the instructor's key: OUT/answer_key.csv and OUT/instructor.key."""
    from pathlib import Path

    from ..classroom.class_set import make_class

    rows = make_class(roster, out, seed=seed, difficulty=difficulty, catalog=catalog, ascii_names=ascii_names)
    for student, folder, *_ in rows:
        click.echo(f"{student}: {Path(out) / folder}")
    click.echo(f"{len(rows)} exercises; answer key: {Path(out) / 'answer_key.csv'}, "
               f"seal: {Path(out) / 'instructor.key'} "
               f"(they name every student's bug and grade for marks: keep them, do not hand them out)")
