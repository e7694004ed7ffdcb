"""How the person gets signed in, part of the composition root beside ``app.py``.

The built-in server (``local``: its one account signs in without asking; ``demo``: pick one of
the demo accounts) or a remote server (a token remembered in the keyring for the last account,
else the sign-in dialog). Every slow step (starting the server, the keyring, the login request)
runs through ``Background``; the flow ends with ``signed_in`` or ``failed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal

from litdesk.domain.orders import Role
from litdesk.domain.wire import LoginOut, UserOut
from litdesk.services.api_client import ApiClient, server_root
from litdesk.services.background import Background
from litdesk.services.credentials import CredentialStore
from litdesk.services.embedded import EmbeddedServer
from litdesk.services.errors import Invalid, NoKeyring, Unauthorized, describe
from litdesk.views.account_picker import AccountPicker
from litdesk.views.main_window import MainWindow
from litdesk.views.sign_in_dialog import SignInDialog

DEMO_DEFAULT_ACCOUNT = "influencer@demo.test"  # for unattended demo runs (screenshots)
BUILT_IN = ("local", "demo")


@dataclass(frozen=True)
class SignedIn:
    """Who is signed in where: ``server_key`` is "local", "demo" or the remote URL."""

    server_key: str
    user: UserOut
    token: str = field(repr=False)  # a repr may end up in a log
    api: ApiClient = field(repr=False)


class SignInFlow(QObject):
    """Gets a token for an account and says so with ``signed_in(SignedIn)``; explains a failure
    with ``failed(text)``. ``unattended`` (screenshots) never opens a dialog."""

    signed_in = Signal(object)  # SignedIn
    failed = Signal(str)
    signed_out = Signal(str)  # why, for the window; emitted before asking again

    def __init__(self, window: MainWindow, background: Background, settings: QSettings,
                 credentials: CredentialStore, data_dir: Path, *, demo: bool = False,
                 account: str | None = None, unattended: bool = False) -> None:
        super().__init__(window)
        self.window = window
        self.background = background
        self.settings = settings
        self.credentials = credentials
        self.data_dir = data_dir
        self.demo = demo
        self.account = account
        self.unattended = unattended
        self.embedded: EmbeddedServer | None = None
        self.api: ApiClient | None = None
        self.server_url = ""
        self.sign_in_dialog: SignInDialog | None = None
        self.account_picker: AccountPicker | None = None
        self._closed = False

    def start(self, server_url: str) -> None:
        """Sign in on ``server_url``, or on the built-in server when it is empty."""
        self.server_url = server_url
        if server_url and self.embedded is not None:
            # Switched to a remote server: the built-in one has nobody left to serve.
            self.background.run(self.embedded.stop)
            self.embedded = None
        if server_url:
            self._start_remote(server_url)
        else:
            self._start_embedded()

    def _fail(self, error: BaseException | str) -> None:
        self.failed.emit(error if isinstance(error, str) else describe(error))

    # --- the built-in server -----------------------------------------------------------------

    def _start_embedded(self) -> None:
        if self.embedded is not None and self.embedded.demo == self.demo:
            self._choose_local_account(self.embedded)
            return
        if self.embedded is not None:  # demo to local or back: another database
            self.background.run(self.embedded.stop)
            self.embedded = None
        self.window.status_line.set_starting("Starting the built-in server…")
        demo, folder = self.demo, self.data_dir

        def started(server: EmbeddedServer) -> None:
            if self._closed:
                self.background.run(server.stop)
                return
            self.embedded = server
            self._choose_local_account(server)

        self.background.run(lambda: EmbeddedServer.start(demo=demo, data_dir=folder),
                            on_success=started, on_failure=lambda error: self._fail(
                                f"The built-in server could not start: {error}"))

    def _choose_local_account(self, server: EmbeddedServer) -> None:
        self._client_for(server.base_url)
        wanted = self.account
        if not wanted and server.demo and self.unattended:
            wanted = str(self.settings.value("demo/account", DEMO_DEFAULT_ACCOUNT))
        if not server.demo:
            self.background.run(lambda: wanted or server.local_account(),
                                on_success=self._sign_in_locally, on_failure=self._fail)
        elif wanted:
            self._sign_in_locally(wanted)
        else:
            self.background.run(server.accounts, on_success=self._pick_demo_account,
                                on_failure=self._fail)

    def _pick_demo_account(self, accounts: list[UserOut]) -> None:
        self.window.status_line.set_starting("Choose a demo account")
        picker = AccountPicker(accounts, preselect=str(self.settings.value("demo/account", "")),
                               parent=self.window)
        picker.account_chosen.connect(self._sign_in_locally)
        picker.rejected.connect(lambda: self.signed_out.emit("No demo account chosen."))
        self.account_picker = picker
        picker.open()

    def _sign_in_locally(self, email: str) -> None:
        server, api = self.embedded, self.api
        if server is None or api is None:
            return
        self.window.status_line.set_starting("Signing in…")
        email = email.strip().lower()

        def token_and_user() -> tuple[str, UserOut]:
            user = next((u for u in server.accounts() if u.email == email), None)
            if user is None:
                raise Invalid(f"There is no account {email} in the built-in database.")
            return server.token_for(user.email), user

        def done(found: tuple[str, UserOut]) -> None:
            token, user = found
            if server.demo:
                self.settings.setValue("demo/account", user.email)
            api.set_token(token)
            self.signed_in.emit(SignedIn("demo" if server.demo else "local", user, token, api))

        self.background.run(token_and_user, on_success=done, on_failure=self._fail)

    # --- a remote server ---------------------------------------------------------------------

    def _start_remote(self, url: str) -> None:
        self._client_for(url)
        self.window.status_line.set_starting("Signing in…")
        email = self.account or ""
        if not email and self.settings.value("session/server", "") == url:
            email = str(self.settings.value("session/account", ""))
        store = self.credentials

        def look_up() -> tuple[bool, str | None]:  # the keyring may be slow (D-Bus, a prompt)
            available = store.available
            return available, store.load(url, email) if available and email else None

        def found(result: tuple[bool, str | None]) -> None:
            available, token = result
            if not available:
                self.say_no_keyring()
            role = str(self.settings.value("session/role", ""))
            if token and role in {r.value for r in Role} and self.api is not None:
                # Signed in before: start at once (offline too) as who we were last time.
                user = UserOut(id=int(str(self.settings.value("session/user_id", 0) or 0)),
                               email=email, role=Role(role),
                               name=str(self.settings.value("session/name", email)))
                self.api.set_token(token)
                self.signed_in.emit(SignedIn(url, user, token, self.api))
            else:
                self.ask(email)

        self.background.run(look_up, on_success=found, on_failure=self._fail)

    def say_no_keyring(self) -> None:
        """Once per installation (the flag lives in the settings): no keyring, so the person
        will be asked to sign in each time."""
        if self.settings.value("keyring/absence_reported", False, type=bool):
            return
        self.settings.setValue("keyring/absence_reported", True)
        self.window.show_notice(describe(NoKeyring("no keyring")))

    def ask(self, email: str = "", notice: str = "") -> None:
        """The sign-in dialog for the remote server (a failure when unattended)."""
        url = self.server_url
        if self.unattended:
            self._fail(f"Not signed in to {url}: start LitDesk once without --screenshot and "
                       f"sign in.")
            return
        if self.sign_in_dialog is not None:
            self.sign_in_dialog.deleteLater()
        dialog = SignInDialog(url, email=email, notice=notice, parent=self.window)
        dialog.sign_in_requested.connect(self._log_in)
        dialog.rejected.connect(lambda: self.signed_out.emit("Not signed in."))
        self.sign_in_dialog = dialog
        dialog.open()

    def _log_in(self, email: str, password: str) -> None:
        dialog, url = self.sign_in_dialog, self.server_url
        if dialog is None:
            return
        api, store = self._client_for(url), self.credentials

        def done(login: LoginOut) -> None:
            if dialog is not self.sign_in_dialog or not dialog.isVisible():
                return  # closed, or replaced, while the answer was on its way
            dialog.accept()
            self.sign_in_dialog = None
            for key, value in (("server", url), ("account", login.user.email),
                               ("name", login.user.name), ("role", login.user.role.value),
                               ("user_id", login.user.id)):
                self.settings.setValue(f"session/{key}", value)  # never the token
            self.background.run(store.save, url, login.user.email, login.token,
                                on_failure=self._token_not_saved)
            self.signed_in.emit(SignedIn(url, login.user, login.token, api))

        self.background.run(api.login, email, password, on_success=done,
                            on_failure=dialog.show_error)

    def _token_not_saved(self, error: BaseException) -> None:
        if isinstance(error, NoKeyring):
            self.say_no_keyring()
        else:
            self.window.show_error(describe(error))

    # --- ending a sign-in --------------------------------------------------------------------

    def sign_out(self, who: SignedIn) -> None:
        """Revoke the token, forget it, and ask who is next. The cache stays on disk."""
        if who.server_key == "local":
            return  # the local account signs itself in; there is no one else to be
        # The old client revokes its token and closes in the background; the next sign-in
        # gets a client of its own, so the two cannot race over the token.
        old = who.api
        self.api = None
        self.background.run(_log_out, old, on_failure=lambda _error: None)
        if who.server_key == "demo":
            self.settings.remove("demo/account")
            self.account = None
            self.signed_out.emit("Signed out.")
            self._start_embedded()
            return
        self.background.run(self.credentials.delete, who.server_key, who.user.email,
                            on_failure=self._token_not_saved)
        self.settings.remove("session/role")
        self.signed_out.emit("Signed out. Your sign-in was removed from this computer.")
        self.ask(who.user.email)

    def token_refused(self, who: SignedIn) -> None:
        """The server no longer accepts the token (expired, revoked): sign in again."""
        if who.server_key in BUILT_IN:
            # The process owns the built-in database: a fresh token, no questions.
            self._sign_in_locally(who.user.email)
            return
        self.background.run(self.credentials.delete, who.server_key, who.user.email,
                            on_failure=lambda _error: None)
        self.signed_out.emit(describe(Unauthorized("token refused")))
        self.ask(who.user.email, notice=describe(Unauthorized("token refused")))

    def _client_for(self, url: str) -> ApiClient:
        """The one API client, for ``url``; a client for another server is closed first so
        its pooled connections do not outlive it."""
        if self.api is not None and self.api.base_url == server_root(url):
            return self.api
        if self.api is not None:
            self.api.close()
        self.api = ApiClient(url)
        return self.api

    def sign_in_again(self) -> None:
        """File, Sign in… after a dialog was dismissed."""
        if self.server_url:
            self.ask(str(self.settings.value("session/account", "")))
        else:
            self._start_embedded()

    def close(self) -> None:
        """Close dialogs, the API client and the built-in server (this waits for it)."""
        self._closed = True
        for dialog in (self.sign_in_dialog, self.account_picker):
            if dialog is not None:
                dialog.close()
        if self.api is not None:
            self.api.close()
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


def _log_out(api: ApiClient) -> None:
    try:
        api.logout()
    finally:
        api.close()
