from tests.cli_runner import run_cli


def test_content_check_prints_a_summary_for_a_clean_bank(tmp_path):
    result = run_cli("content", "check", tmp_path=tmp_path)
    assert result.returncode == 0
    summary, *figures = result.stdout.strip().splitlines()
    assert summary == "2 topics, 5 questions (3 choice, 2 cards)"
    assert "right option is the longest: 0% of 3 choice questions" in figures[0]
    assert "levels: 1 junior (20%), 3 mid (60%), 1 senior (20%)" in figures[-1]


def test_content_check_reports_file_and_line_and_exits_1(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "bad.md").write_text(
        "---\nid: bad\ntitle: Bad\n---\nText.\n\n## Questions\n\n"
        "### choice bad-one mid\nQ?\n\n- [ ] a\n- [ ] b\n\nWhy: x\n"
    )
    result = run_cli("content", "check", str(content), tmp_path=tmp_path)
    assert result.returncode == 1
    assert (
        f"{content / 'bad.md'}:9: choice bad-one: needs exactly one '[x]' option" in result.stdout
    )


def test_run_without_platform_names_the_variables(tmp_path):
    result = run_cli("run", tmp_path=tmp_path)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "SLACK_BOT_TOKEN" in result.stderr
    assert "revision-bot chat" in result.stderr


def test_bad_setting_stops_with_one_line(tmp_path):
    result = run_cli("chat", tmp_path=tmp_path, env={"DATABASE_URL": "oracle://x"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "revision-bot: DATABASE_URL: unsupported database 'oracle'; use sqlite:/// or postgresql://"
    ]


def test_db_upgrade_and_content_sync(tmp_path):
    assert run_cli("db", "upgrade", tmp_path=tmp_path).stdout.strip() == "database is up to date"
    result = run_cli("content", "sync", tmp_path=tmp_path)
    assert (
        result.stdout.strip() == "content synced: 0 added, 0 updated, 0 retired, 5 unchanged"
        or ("5 added" in result.stdout)
    )


def test_export_and_forget_a_person(tmp_path):
    run_cli("chat", stdin="/quiz\n3\n", tmp_path=tmp_path)
    exported = run_cli("export", "--user", "console:local", tmp_path=tmp_path)
    assert '"question_id": "celery-broker"' in exported.stdout
    forgotten = run_cli("forget", "--user", "console:local", tmp_path=tmp_path)
    assert forgotten.returncode == 0
    missing = run_cli("export", "--user", "console:local", tmp_path=tmp_path)
    assert missing.returncode == 1 and "no person console:local" in missing.stderr
