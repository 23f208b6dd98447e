"""Setting up a real deployment without demo data: manage.py site_create and manage.py user_create."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from trial.choices import Role
from trial.models import Site, User

PASSWORD = "a-long-enough-passphrase-42"


def run(*args, **kwargs):
    out = StringIO()
    call_command(*args, stdout=out, **kwargs)
    return out.getvalue()


@pytest.fixture
def no_prompt(monkeypatch):
    """Fail a test that would ask for a password at the prompt."""

    def refuse(prompt=""):
        raise AssertionError(f"unexpected password prompt: {prompt}")

    monkeypatch.setattr("getpass.getpass", refuse)


@pytest.fixture
def password_env(monkeypatch, no_prompt):
    monkeypatch.setenv("TRIAL_USER_PASSWORD", PASSWORD)


def test_user_create_gives_an_account_that_logs_in_with_its_roles_and_sites(client, password_env, site_a, site_b):
    Site.objects.create(trial=site_a.trial, code="SC", name="Site C hospital")
    out = run(
        "user_create",
        "--username", "alopez",
        "--role", "investigator",
        "--role", "research_nurse",
        "--site", "SA",
        "--site", "SB",
        "--printed-name", "Ana Lopez, MD",
        "--email", "ana.lopez@example.org",
        "--first-name", "Ana",
        "--last-name", "Lopez",
    )  # fmt: skip

    assert "Created user alopez" in out and PASSWORD not in out
    response = client.post(reverse("login"), {"username": "alopez", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get(reverse("trial:home")).content.decode()
    assert "SA — Site A hospital" in home and "SB — Site B hospital" in home
    assert "Site C hospital" not in home
    user = User.objects.get(username="alopez")
    assert user.has_perm("core.sign_records") and user.has_perm("patients.add_patient")
    assert user.signature_name == "Ana Lopez, MD"
    assert user.email == "ana.lopez@example.org" and not user.is_staff
    # Audited as a system action (no person was signed in).
    created = user.history.filter(history_type="+").get()
    assert (created.history_type, created.history_user, created.history_change_reason) == ("+", None, "Created")


def test_user_create_refuses_an_unknown_role_naming_the_option_and_the_roles(password_env, site_a):
    with pytest.raises(CommandError) as error:
        run("user_create", "--username", "alopez", "--role", "nurse", "--site", "SA")

    message = str(error.value)
    assert "--role" in message and "'nurse'" in message
    assert all(role in message for role in Role.values)
    assert "Nothing was created" in message
    assert not User.objects.filter(username="alopez").exists()


def test_user_create_refuses_an_unknown_site_code_listing_the_codes(password_env, site_a, site_b):
    with pytest.raises(CommandError, match=r"--site: Unknown site code 'MDA'; the site codes are: SA, SB\."):
        run("user_create", "--username", "alopez", "--role", "research_nurse", "--site", "SA", "--site", "MDA")
    assert not User.objects.filter(username="alopez").exists()


def test_user_create_refuses_a_taken_username_and_leaves_that_account_alone(password_env, nurse_a, site_b):
    before = nurse_a.password
    with pytest.raises(CommandError, match=rf"--username: A user named '{nurse_a.username}' already exists\."):
        run("user_create", "--username", nurse_a.username, "--role", "administrator", "--site", "SB")
    nurse_a.refresh_from_db()
    assert nurse_a.password == before and list(nurse_a.sites.values_list("code", flat=True)) == ["SA"]
    assert not nurse_a.is_staff


@pytest.mark.parametrize(
    ("weak", "rule"),
    [
        ("short-1", "too short. It must contain at least 10 characters"),
        ("password123", "too common"),
        ("2718281828459", "entirely numeric"),
        ("alopez-2026", "too similar to the username"),
    ],
)
def test_user_create_refuses_a_weak_password_naming_the_rule(monkeypatch, no_prompt, site_a, weak, rule):
    monkeypatch.setenv("TRIAL_USER_PASSWORD", weak)
    with pytest.raises(CommandError) as error:
        run("user_create", "--username", "alopez", "--role", "research_nurse", "--site", "SA")
    assert "password (from $TRIAL_USER_PASSWORD)" in str(error.value) and rule in str(error.value)
    assert weak not in str(error.value)
    assert not User.objects.filter(username="alopez").exists()


def test_user_create_reads_the_password_from_the_variable_named_by_password_env(client, monkeypatch, no_prompt, site_a):
    monkeypatch.delenv("TRIAL_USER_PASSWORD", raising=False)
    monkeypatch.setenv("ALOPEZ_PASSWORD", PASSWORD)
    run("user_create", "--username", "alopez", "--role", "monitor", "--site", "SA", "--password-env", "ALOPEZ_PASSWORD")
    assert client.login(username="alopez", password=PASSWORD)

    monkeypatch.delenv("ALOPEZ_PASSWORD")
    with pytest.raises(CommandError, match="--password-env: the environment variable ALOPEZ_PASSWORD is not set"):
        run("user_create", "--username", "bsmith", "--role", "monitor", "--password-env", "ALOPEZ_PASSWORD")
    assert not User.objects.filter(username="bsmith").exists()


def test_user_create_asks_twice_at_the_prompt_and_refuses_a_mismatch(client, monkeypatch, site_a):
    monkeypatch.delenv("TRIAL_USER_PASSWORD", raising=False)
    typed = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    with pytest.raises(CommandError, match="The two passwords typed at the prompt differ"):
        run("user_create", "--username", "alopez", "--role", "statistician", "--site", "SA")
    assert not User.objects.filter(username="alopez").exists()

    prompts = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": prompts.append(prompt) or PASSWORD)
    run("user_create", "--username", "alopez", "--role", "statistician", "--site", "SA")
    assert prompts == ["Password for alopez: ", "Password (again): "]
    assert client.login(username="alopez", password=PASSWORD)


def test_user_create_without_a_terminal_or_variable_says_how_to_give_the_password(monkeypatch, site_a):
    monkeypatch.delenv("TRIAL_USER_PASSWORD", raising=False)

    def closed_stdin(prompt=""):
        raise EOFError

    monkeypatch.setattr("getpass.getpass", closed_stdin)
    with pytest.raises(CommandError, match="No password: set TRIAL_USER_PASSWORD"):
        run("user_create", "--username", "alopez", "--role", "statistician", "--site", "SA")
    assert not User.objects.filter(username="alopez").exists()


def test_user_create_checks_role_and_sites_before_asking_for_the_password(monkeypatch, no_prompt, site_a):
    monkeypatch.delenv("TRIAL_USER_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="--site: Unknown site code 'XX'"):
        run("user_create", "--username", "alopez", "--role", "monitor", "--site", "XX")


def test_an_administrator_created_on_the_command_line_can_use_django_admin(client, db, password_env):
    run("user_create", "--username", "admin1", "--role", "administrator")
    assert client.login(username="admin1", password=PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_site_create_adds_a_site_to_the_only_trial_audited_as_system(trial):
    out = run("site_create", "--code", "MDA", "--name", "MD Anderson Cancer Center")

    site = Site.objects.get(code="MDA")
    assert (site.trial, site.name) == (trial, "MD Anderson Cancer Center")
    assert out.strip() == "Created site MDA — MD Anderson Cancer Center (trial NCT01371630)."
    created = site.history.get()
    assert (created.history_type, created.history_user, created.history_change_reason) == ("+", None, "Created")


def test_site_create_refuses_a_taken_code_and_an_unknown_trial(trial, site_a):
    with pytest.raises(CommandError, match=r"--code: Trial NCT01371630 already has a site with code 'SA'\."):
        run("site_create", "--code", "SA", "--name", "Another hospital")
    with pytest.raises(CommandError, match=r"--trial: Unknown trial 'NCT00000000'; the trials are: NCT01371630\."):
        run("site_create", "--code", "NEW", "--name", "New hospital", "--trial", "NCT00000000")
    with pytest.raises(CommandError, match="--name: This field cannot be blank"):
        run("site_create", "--code", "NEW", "--name", "  ")
    assert list(Site.objects.values_list("code", flat=True)) == ["SA"]
    assert Site.objects.get(code="SA").name == "Site A hospital"
