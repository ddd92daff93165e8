"""Settings read from the environment (prefix KHATA_), one class for the whole service."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

# Where links point when no base URL is set and no request tells the service's own address.
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KHATA_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./khata.db"
    # Base of absolute links (payment links, report file URLs). Unset: a request's links are
    # built from the request's own base URL, and links made outside a request (worker e-mails,
    # CLI import) from DEFAULT_PUBLIC_BASE_URL.
    public_base_url: str | None = None
    # Trust X-Forwarded-Proto / X-Forwarded-Host (`khata serve --proxy-headers`, behind a proxy).
    proxy_headers: bool = False
    access_token_ttl_seconds: int = 3600
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    # Failed logins allowed per OAuth client inside the window before answering 429.
    login_failure_burst: int = 10
    login_failure_window_seconds: int = 60
    # A web console session ends this long after sign-in (the cookie and the stored row).
    console_session_ttl_seconds: int = 8 * 3600
    default_time_zone: str = "Asia/Kolkata"
    # Signs the CSRF token of the payment page's forms (HMAC of the link's key); set it to a
    # long random value in production, the same in every process.
    buyer_form_secret: str = "change-me"
    # Signs the invoice search's paging cursors (HMAC), so a cursor altered by hand is refused;
    # the same in every process, or a cursor from one is refused by another.
    cursor_secret: str = "change-me"
    # Payments reported and answers given through one payment link per rolling hour.
    buyer_actions_per_hour: int = 10

    bulk_max_bytes: int = 200 * 1024 * 1024
    bulk_max_rows: int = 1_000_000
    # Where `khata import` writes a job's report files (servers keep them in the database).
    report_dir: str = "./reports"
    # Where uploads are staged while their job runs (default: the system's temporary folder).
    upload_dir: str | None = None
    # A RUNNING bulk job whose heartbeat (one per committed batch) is older than this has no
    # live process: it is closed as FAILED. On PostgreSQL a dead process is also seen at once.
    bulk_stale_seconds: int = 300
    # `text`, or `json`: one JSON object per line with the request id.
    log_format: str = "text"
    # One line per request answered (uvicorn's access log); off where a proxy in front logs
    # requests already: it costs a one-record GET a fifteenth of its time.
    access_log: bool = True
    # On SIGTERM `khata serve` stops taking requests and gives those in flight this long.
    shutdown_grace_seconds: int = 30

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_from: str = "khata <no-reply@khata.local>"
    sms_webhook_url: str | None = None
    whatsapp_webhook_url: str | None = None
    webhook_secret: str = "change-me"
    delivery_max_attempts: int = 5
    # Retry n waits backoff * 2**n; a claimed message stays invisible to other workers for the
    # lease, which must outlast one send (SMTP and gateway time out after 30 s).
    delivery_backoff_seconds: int = 60
    delivery_lease_seconds: int = 600
    # Processes that render dispatch PDFs beside a worker (rendering is pure Python: in the
    # worker's own process it takes turns with sending); 0 renders in a thread of the worker.
    pdf_render_processes: int = 1
    # Webhook endpoints: hosts that may be reached over plain http and at loopback or private
    # addresses (comma-separated, e.g. "127.0.0.1,erp.internal"); every other endpoint must be
    # https to a public address. Link-local and metadata addresses are refused whatever this says.
    webhook_allow_hosts: str = ""

    @property
    def webhook_allowed_hosts(self) -> frozenset[str]:
        hosts = (host.strip().lower().rstrip(".") for host in self.webhook_allow_hosts.split(","))
        return frozenset(host.strip("[]") for host in hosts if host)

    @property
    def links_base_url(self) -> str:
        """The base of links made outside a request."""
        return (self.public_base_url or DEFAULT_PUBLIC_BASE_URL).rstrip("/")


@lru_cache
def get_settings() -> Settings:
    return Settings()
