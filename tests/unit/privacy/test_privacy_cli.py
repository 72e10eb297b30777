import json

from typer.testing import CliRunner

from corridor.cli import app


def _write(tmp_path, table):
    path = tmp_path / "utilities.json"
    path.write_text(json.dumps(table))
    return path


def test_shapley_command_prints_exact_values_of_the_glove_game(tmp_path):
    table = {"": 0, "a": 0, "b": 0, "c": 0, "a+b": 0, "a+c": 1, "b+c": 1, "a+b+c": 1}
    result = CliRunner().invoke(
        app, ["privacy", "shapley", "--utilities", str(_write(tmp_path, table))]
    )
    assert result.exit_code == 0, result.output
    values = json.loads(result.output)
    assert values == {"a": 1 / 6, "b": 1 / 6, "c": 2 / 3}


def test_shapley_command_samples_beyond_eight_participants(tmp_path):
    players = [f"p{i}" for i in range(9)]
    table = {}
    for mask in range(2**9):
        members = [p for i, p in enumerate(players) if mask >> i & 1]
        table["+".join(members)] = len(members)  # additive game: each is worth exactly 1
    path = _write(tmp_path, table)
    refused = CliRunner().invoke(app, ["privacy", "shapley", "--utilities", str(path)])
    assert refused.exit_code == 1
    result = CliRunner().invoke(
        app, ["privacy", "shapley", "--utilities", str(path), "--samples", "50"]
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["samples"] == 50
    assert all(abs(v - 1) <= answer["error_bound"] for v in answer["values"].values())


def test_shapley_command_names_missing_coalitions(tmp_path):
    result = CliRunner().invoke(
        app, ["privacy", "shapley", "--utilities", str(_write(tmp_path, {"": 0, "a": 1, "a+b": 2}))]
    )
    assert result.exit_code == 1
    assert "no utility" in result.output
