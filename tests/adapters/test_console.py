from PIL import Image

from tests.cli_runner import run_cli


def test_piped_explain_prints_the_explanation(tmp_path):
    result = run_cli("chat", stdin="/explain gil\n", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "# The GIL" in result.stdout
    assert "lets one thread run Python bytecode at a time" in result.stdout
    assert "`<threads>` & I/O" in result.stdout
    assert result.stderr == ""


def test_piped_quiz_takes_the_number_of_an_option(tmp_path):
    result = run_cli("chat", stdin="/quiz\n3\n", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1. Stores each task's return value for later" in result.stdout
    assert "Type the number of your answer." in result.stdout
    assert "✅ **Right!**" in result.stdout


def test_number_out_of_range_gets_a_clear_reply(tmp_path):
    result = run_cli("chat", stdin="/quiz\n9\n/stats\n", tmp_path=tmp_path)
    assert "Pick an option between 1 and 3." in result.stdout
    assert "You have not answered anything yet" in result.stdout


def test_cards_use_lettered_buttons(tmp_path):
    script = "/quiz celery\n3\n/quiz celery\na\nc\n"
    result = run_cli("chat", stdin=script, tmp_path=tmp_path)
    assert "[a] Show answer" in result.stdout
    assert "[a] Again  [b] Hard  [c] Good  [d] Easy" in result.stdout
    assert "You rated it **Good**" in result.stdout


def test_progress_persists_between_runs(tmp_path):
    run_cli("chat", stdin="/quiz\n3\n", tmp_path=tmp_path)
    result = run_cli("chat", stdin="/stats\n", tmp_path=tmp_path)
    assert "Answered: 1" in result.stdout


def test_unopenable_database_gets_one_clear_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    env = {"DATABASE_URL": f"sqlite:///{blocker}/sub/bot.db"}
    result = run_cli("chat", stdin="/help\n", tmp_path=tmp_path, env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("revision-bot: DATABASE_URL: cannot")
    assert "Traceback" not in result.stderr


def test_stats_shows_a_sparkline_of_the_last_12_weeks(tmp_path):
    result = run_cli("chat", stdin="/quiz\n3\n/stats\n", tmp_path=tmp_path)
    assert "Answered: 1" in result.stdout
    assert "Last 12 weeks: ▁▁▁▁▁▁▁▁▁▁▁█  (1 answer, 1 in the last 7 days)" in result.stdout
    assert "For the picture, run: revision-bot chat --picture progress.png" in result.stdout


def test_picture_option_writes_the_stats_png(tmp_path):
    target = tmp_path / "mine.png"
    result = run_cli("chat", "--picture", str(target), stdin="/stats\n", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"Picture saved to {target}" in result.stdout
    with Image.open(target) as picture:
        assert (picture.format, picture.size) == ("PNG", (1200, 1500))
        assert "nothing yet" in picture.info["Description"]


def test_picture_to_an_unwritable_place_is_a_friendly_line(tmp_path):
    target = tmp_path / "missing" / "dir" / "mine.png"
    result = run_cli("chat", "--picture", str(target), stdin="/stats\n", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"Could not write the picture to {target}" in result.stdout
    assert "Traceback" not in result.stderr
