"""Otto's settings: one file, read from the environment.

With nothing set this is the embedded default (SQLite, in-memory channel layer and cache,
Celery tasks run in-process). DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.
Every variable is listed in README.md. A value that cannot be understood stops start-up
with an ImproperlyConfigured error naming the variable, rather than being guessed at.
"""

import os
import re
import zoneinfo
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
_env = environ.Env()


def env_str(name, default=""):
    return os.environ.get(name, default).strip()


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name, default, minimum=None):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_float(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None


def env_url(name, schemes):
    value = env_str(name)
    if value and value.split("://", 1)[0] not in schemes:
        raise ImproperlyConfigured(
            f"{name} must start with one of {', '.join(s + '://' for s in schemes)}; got {value!r}"
        )
    return value


def env_timezone(name, default):
    value = env_str(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name} is not a known time zone: {value!r}") from None
    return value


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
# `make run` keeps its generated key in DATA_DIR/secret_key, so that `manage.py` works afterwards
# in any shell on the same install without the key in the environment.
_KEY_FILE = Path(env_str("DATA_DIR") or BASE_DIR / "var") / "secret_key"
if not SECRET_KEY and _KEY_FILE.is_file():
    SECRET_KEY = _KEY_FILE.read_text().strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off (set it, or run `make run` once to generate var/secret_key)"
        )
    SECRET_KEY = "insecure-debug-only-key"

ALLOWED_HOSTS = [h.strip() for h in env_str("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()]
PUBLIC_BASE_URL = env_url("PUBLIC_BASE_URL", ("http", "https")).rstrip("/")
if PUBLIC_BASE_URL:
    _public_host = PUBLIC_BASE_URL.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
    if _public_host not in ALLOWED_HOSTS:
        ALLOWED_HOSTS.append(_public_host)
    CSRF_TRUSTED_ORIGINS = [PUBLIC_BASE_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "servestatic",
    "axes",
    "channels",
    "crm",
    "scheduling",
    "calls",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files, answered in the event loop (ServeStatic is async; WhiteNoise's middleware cost
    # every request a hop to a thread under ASGI).
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Pages show times in the shop's zone, as its Settings page says (it wins over SHOP_TIME_ZONE).
    "scheduling.shop_time_zone.ShopTimeZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ottos.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "ottos.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "calls.pages.context.staff_header",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATA_DIR = Path(env_str("DATA_DIR") or BASE_DIR / "var")
DATABASE_URL = env_url("DATABASE_URL", ("postgres", "postgresql", "sqlite"))
if DATABASE_URL:
    try:
        DATABASES = {"default": _env.db_url_config(DATABASE_URL)}
    except Exception as exc:  # django-environ raises several types for bad URLs
        raise ImproperlyConfigured(f"DATABASE_URL could not be parsed: {exc}") from None
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "ottos.sqlite3",
            # The embedded default serves HTTP, WebSockets and eager tasks from threads of
            # one process: wait for the write lock instead of failing at once.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 0, minimum=0)
# On PostgreSQL each process keeps a pool of connections (psycopg_pool, through Django): a call's
# tool runs its queries in a worker thread, and opening a new connection for each of them cost
# ~8 ms of every tool turn. Persistent per-thread connections (DB_CONN_MAX_AGE) are the other way,
# but under ASGI threads come and go; the pool is what Django recommends there.
DB_POOL_SIZE = env_int("DB_POOL_SIZE", 20, minimum=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_SIZE:
    if DATABASES["default"]["CONN_MAX_AGE"]:
        raise ImproperlyConfigured(
            "DB_CONN_MAX_AGE must be 0 while DB_POOL_SIZE is set: the pool keeps the connections."
        )
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, DB_POOL_SIZE),
        "max_size": DB_POOL_SIZE,
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, Celery -----------------------------------------------
REDIS_URL = env_url("REDIS_URL", ("redis", "rediss", "unix"))
if REDIS_URL:
    # Redis down or slow is a cache miss, counted (ottos/lib/cache.py): the phone keeps answering.
    # Short timeouts, so a Redis that does not answer costs a lookup a second at most.
    CACHES = {
        "default": {
            "BACKEND": "ottos.lib.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
    CHANNEL_LAYERS = {
        # redis-py 8 reads with a 5 s socket timeout, exactly channels_redis' 5 s blocking pop:
        # an idle consumer's receive would time out and crash the consumer. Read longer. A Redis
        # that does not take the connection must not hold up a webhook's live-page message.
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 1}]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ottos"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without a broker there is no worker: run tasks in-process, after commit, like a worker would.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Time -------------------------------------------------------------------------------
# Only the default: the shop's Settings page (ShopProfile.timezone), once saved, is the current zone in
# pages, Celery tasks and the commands that work in local time (scheduling/shop_time_zone.py);
# `manage.py check --database default` warns while this disagrees with it.
SHOP_TIME_ZONE = env_timezone("SHOP_TIME_ZONE", "America/Chicago")
TIME_ZONE = SHOP_TIME_ZONE
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en-us"
# Region used to read phone numbers written without a country code.
PHONE_REGION = env_str("PHONE_REGION", "US").upper()

# --- Static files, auth ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "media"  # call recordings; served only through the access-checked call pages
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
# Production serves static files under content-hashed names (collectstatic writes them and a
# manifest), so browsers may keep them for ever; ServeStatic sends them with a ten-year max-age.
# Without the manifest (DEBUG, or STATIC_HASHED_NAMES=false as in the tests) they keep their names.
STATIC_HASHED_NAMES = env_bool("STATIC_HASHED_NAMES", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "servestatic.storage.CompressedManifestStaticFilesStorage"
        if STATIC_HASHED_NAMES
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
LOGIN_URL = "admin:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Admin sign-in is throttled (django-axes): after SIGN_IN_FAILURE_LIMIT wrong passwords for one
# username from one address, that pair is refused for SIGN_IN_LOCKOUT_MINUTES, right password or
# not. The address is REMOTE_ADDR: behind nginx, `ottos.serve --proxy-headers` sets it from the
# X-Forwarded-For that nginx writes; a header the client sent itself is never read here.
AUTHENTICATION_BACKENDS = [
    "ottos.sign_in.SignInThrottle",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("SIGN_IN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGN_IN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "ottos.sign_in.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/sign_in_locked.html"
AXES_HTTP_RESPONSE_CODE = 429

# --- HTTPS behind the proxy (check with `manage.py check --deploy`) -------------------------------
if not DEBUG:
    # nginx terminates TLS and says so in X-Forwarded-Proto (deploy/nginx.conf); it must overwrite
    # that header, never pass on the client's.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Plain http is sent to https, except the probes and the scrape, which the load balancer and
    # Prometheus call on the private address. Twilio's webhooks arrive through nginx as https.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PUBLIC_BASE_URL.startswith("https://"))
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    # HSTS: browsers that saw the site over https refuse plain http for this long (0: not sent).
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if SECURE_SSL_REDIRECT else 0, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    # Asking browsers to ship the domain as https-only is hard to undo: only on purpose.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Vendors (the phone agent, the workers) --------------------------------------------
DEEPGRAM_API_KEY = env_str("DEEPGRAM_API_KEY")
DEEPGRAM_BASE_URL = env_url("DEEPGRAM_BASE_URL", ("http", "https", "ws", "wss"))
OPENAI_API_KEY = env_str("OPENAI_API_KEY")
OPENAI_BASE_URL = env_url("OPENAI_BASE_URL", ("http", "https"))
OPENAI_MODEL = env_str("OPENAI_MODEL", "gpt-4.1-mini")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_API_BASE_URL = env_url("TWILIO_API_BASE_URL", ("http", "https"))
# Used while the shop's Settings page leaves its advisor number blank (scheduling/shop_settings.py).
SHOP_ADVISOR_NUMBER = env_str("SHOP_ADVISOR_NUMBER")


# --- Which engines a call uses (calls/agent/engines.py; checked only here) ----------------------------------------------
def env_choice(name, choices):
    """One of `choices`, or "" for automatic."""
    value = env_str(name).lower()
    if value and value not in choices:
        raise ImproperlyConfigured(
            f"{name} must be {', '.join(choices)} or empty (automatic), not {os.environ[name]!r}"
        )
    return value


# Empty = automatic: the vendor when its key is set, else the offline engine / scripted receptionist.
VOICE_STT = env_choice("VOICE_STT", ("deepgram", "offline"))
VOICE_TTS = env_choice("VOICE_TTS", ("deepgram", "piper", "espeak"))
VOICE_BRAIN = env_choice("VOICE_BRAIN", ("openai", "scripted"))
# The offline voice, when speech out is offline and as Deepgram's backup: empty = Piper when it is
# installed, else espeak-ng. espeak keeps Piper (GPL, in-process) out of the server entirely.
VOICE_TTS_OFFLINE = env_choice("VOICE_TTS_OFFLINE", ("piper", "espeak"))
for _name, _vendor, _key in (
    ("VOICE_STT", "deepgram", "DEEPGRAM_API_KEY"),
    ("VOICE_TTS", "deepgram", "DEEPGRAM_API_KEY"),
    ("VOICE_BRAIN", "openai", "OPENAI_API_KEY"),
):
    if globals()[_name] == _vendor and not globals()[_key]:
        raise ImproperlyConfigured(f"{_name} is {_vendor} but {_key} is not set")
# A vendor engine that fails mid-call is replaced by the offline one (false: apologise instead).
VOICE_FAILOVER = env_bool("VOICE_FAILOVER", True)

# --- The phone agent's voice loop -----------------------------------------------------------
VOICE_STT_MODEL = env_str("VOICE_STT_MODEL", "nova-3")
VOICE_TTS_MODEL = env_str("VOICE_TTS_MODEL", "aura-2-thalia-en")
# Silence that ends a caller's phrase, and the longer gap that ends their turn.
VOICE_ENDPOINTING_MS = env_int("VOICE_ENDPOINTING_MS", 300, minimum=10)
VOICE_UTTERANCE_END_MS = env_int("VOICE_UTTERANCE_END_MS", 1000, minimum=1000)
VOICE_SILENCE_REPROMPT_S = env_float("VOICE_SILENCE_REPROMPT_S", 8.0)
# At the endpoint, an end-of-turn model hears whether the caller finished their sentence
# (calls/voice/turn.py); if not, the turn waits for more words up to VOICE_UTTERANCE_END_MS.
VOICE_TURN_MODEL = env_str("VOICE_TURN_MODEL").lower() or "smart_turn"
if VOICE_TURN_MODEL not in ("smart_turn", "smart_turn_words", "off"):
    raise ImproperlyConfigured(
        f"VOICE_TURN_MODEL must be smart_turn, smart_turn_words or off, not {os.environ['VOICE_TURN_MODEL']!r}"
    )
# How a caller talking over the agent is handled (calls/voice/session.py): "pause_resume" goes quiet
# at the first sound and carries on after a backchannel or a noise; "words" waits for real words.
VOICE_BARGE_IN_MODE = env_str("VOICE_BARGE_IN_MODE").lower() or "pause_resume"
if VOICE_BARGE_IN_MODE not in ("pause_resume", "words"):
    raise ImproperlyConfigured(
        f"VOICE_BARGE_IN_MODE must be pause_resume or words, not {os.environ['VOICE_BARGE_IN_MODE']!r}"
    )
VOICE_MAX_CALL_S = env_int("VOICE_MAX_CALL_S", 900, minimum=30)
# Keypad keys that hand the caller to an advisor when pressed first (calls/voice/keypad.py); other
# digits are a number keyed in, ended by # (e.g. a callback number).
KEYPAD_ADVISOR_KEYS = env_str("KEYPAD_ADVISOR_KEYS", "0").replace(",", "").replace(" ", "")
if not re.fullmatch(r"[0-9*]*", KEYPAD_ADVISOR_KEYS):
    raise ImproperlyConfigured("KEYPAD_ADVISOR_KEYS must be keypad digits (0-9 or *), e.g. 0 or 0,1")
# This and RECORDING_ENABLED are used while the shop's Settings page leaves them unset (scheduling/shop_settings.py).
RECORDING_DISCLOSURE = env_str(
    "RECORDING_DISCLOSURE", "This call is recorded and transcribed so we can look after you properly."
)
# Keep the call's audio (both legs) for the managers' pages, and for how long.
RECORDING_ENABLED = env_bool("RECORDING_ENABLED", False)
RECORDING_RETENTION_DAYS = env_int("RECORDING_RETENTION_DAYS", 90, minimum=1)
# Calls older than this go with their transcripts (beat runs `purge_calls` daily: calls.tasks.purge_old_calls).
CALL_RETENTION_DAYS = env_int("CALL_RETENTION_DAYS", 365, minimum=1)
# How long the token in the TwiML stays good: Twilio opens the media stream within seconds.
CALL_TOKEN_MAX_AGE_S = env_int("CALL_TOKEN_MAX_AGE_S", 60, minimum=5)
# Admission control (calls/telephony/admission.py): the calls one server process carries well (the
# call benchmark). A call beyond CALLS_PER_PROCESS x the live processes is not taken by the agent: it
# goes to SHOP_ADVISOR_NUMBER, else to the voicemail, and /readyz answers 503 while this process is full.
CALLS_PER_PROCESS = env_int("CALLS_PER_PROCESS", 100, minimum=1)
# The largest WebSocket message the server takes (uvicorn's own default is 16 MiB). Twilio's Media
# Streams messages are well under 2 KiB; a stream that sends more is broken or hostile, and is
# closed (1009): the caller is then handed to a person like on any broken stream.
MEDIA_STREAM_MAX_MESSAGE_BYTES = env_int("MEDIA_STREAM_MAX_MESSAGE_BYTES", 64 * 1024, minimum=4096)

# --- What a call costs (calls/costs.py): vendors' list prices in US dollars --------------------
# Defaults: OpenAI gpt-4.1-mini (the default OPENAI_MODEL), Deepgram Nova-3 streaming and Aura-2
# pay-as-you-go, Twilio US local inbound voice plus Media Streams. Set your own contract's prices.
PRICE_OPENAI_INPUT_PER_1M_TOKENS = env_float("PRICE_OPENAI_INPUT_PER_1M_TOKENS", 0.40)
PRICE_OPENAI_OUTPUT_PER_1M_TOKENS = env_float("PRICE_OPENAI_OUTPUT_PER_1M_TOKENS", 1.60)
PRICE_DEEPGRAM_STT_PER_MINUTE = env_float("PRICE_DEEPGRAM_STT_PER_MINUTE", 0.0077)
PRICE_DEEPGRAM_TTS_PER_1K_CHARACTERS = env_float("PRICE_DEEPGRAM_TTS_PER_1K_CHARACTERS", 0.030)
PRICE_TWILIO_VOICE_PER_MINUTE = env_float("PRICE_TWILIO_VOICE_PER_MINUTE", 0.0085)
PRICE_TWILIO_STREAM_PER_MINUTE = env_float("PRICE_TWILIO_STREAM_PER_MINUTE", 0.004)
PRICE_TWILIO_OUTBOUND_PER_MINUTE = env_float("PRICE_TWILIO_OUTBOUND_PER_MINUTE", 0.014)
for _name in [name for name in globals() if name.startswith("PRICE_")]:
    if not 0 <= globals()[_name] < float("inf"):
        raise ImproperlyConfigured(f"{_name} must be a price of 0 or more, not {os.environ[_name]!r}")

# --- Booking rules that are not shop data ------------------------------------------------
# How long a phone-number lookup stays cached (seconds); changes invalidate it at once.
CUSTOMER_CACHE_SECONDS = env_int("CUSTOMER_CACHE_SECONDS", 600, minimum=0)

# --- Background work: Google Calendar, NHTSA, texts (scheduling/tasks.py, crm/tasks.py) ---
# The shop calendar that bookings are written to and whose busy times block bays.
GOOGLE_CALENDAR_ID = env_str("GOOGLE_CALENDAR_ID")
# Credentials, one of: a service-account key file, the same JSON as text, or an OAuth
# refresh token (with its client id and secret). GOOGLE_CALENDAR_BASE_URL points the client
# at another server (e.g. http://127.0.0.1:9000/calendar/v3/); without credentials there
# it is called anonymously.
GOOGLE_SERVICE_ACCOUNT_FILE = env_str("GOOGLE_SERVICE_ACCOUNT_FILE")
GOOGLE_SERVICE_ACCOUNT_JSON = env_str("GOOGLE_SERVICE_ACCOUNT_JSON")
GOOGLE_CALENDAR_SUBJECT = env_str("GOOGLE_CALENDAR_SUBJECT")  # Workspace user a service account acts as
GOOGLE_OAUTH_CLIENT_ID = env_str("GOOGLE_OAUTH_CLIENT_ID")
GOOGLE_OAUTH_CLIENT_SECRET = env_str("GOOGLE_OAUTH_CLIENT_SECRET")
GOOGLE_OAUTH_REFRESH_TOKEN = env_str("GOOGLE_OAUTH_REFRESH_TOKEN")
GOOGLE_OAUTH_TOKEN_URI = env_url("GOOGLE_OAUTH_TOKEN_URI", ("http", "https")) or "https://oauth2.googleapis.com/token"
GOOGLE_CALENDAR_BASE_URL = env_url("GOOGLE_CALENDAR_BASE_URL", ("http", "https"))
_google_oauth = [GOOGLE_OAUTH_CLIENT_ID, GOOGLE_OAUTH_CLIENT_SECRET, GOOGLE_OAUTH_REFRESH_TOKEN]
if any(_google_oauth) and not all(_google_oauth):
    raise ImproperlyConfigured(
        "GOOGLE_OAUTH_CLIENT_ID, GOOGLE_OAUTH_CLIENT_SECRET and GOOGLE_OAUTH_REFRESH_TOKEN go together"
    )
if sum(map(bool, (GOOGLE_SERVICE_ACCOUNT_FILE, GOOGLE_SERVICE_ACCOUNT_JSON, all(_google_oauth)))) > 1:
    raise ImproperlyConfigured(
        "Give one kind of Google credentials: GOOGLE_SERVICE_ACCOUNT_FILE, GOOGLE_SERVICE_ACCOUNT_JSON "
        "or the GOOGLE_OAUTH_* refresh token"
    )
if GOOGLE_SERVICE_ACCOUNT_FILE and not Path(GOOGLE_SERVICE_ACCOUNT_FILE).is_file():
    raise ImproperlyConfigured(f"GOOGLE_SERVICE_ACCOUNT_FILE is not a readable file: {GOOGLE_SERVICE_ACCOUNT_FILE!r}")
if (
    GOOGLE_CALENDAR_ID
    and not GOOGLE_CALENDAR_BASE_URL
    and not (GOOGLE_SERVICE_ACCOUNT_FILE or GOOGLE_SERVICE_ACCOUNT_JSON or all(_google_oauth))
):
    raise ImproperlyConfigured("GOOGLE_CALENDAR_ID is set but no Google credentials are")
GOOGLE_CALENDAR_TIMEOUT_SECONDS = env_float("GOOGLE_CALENDAR_TIMEOUT_SECONDS", 10.0)
# Free/busy answers are reused this long; the phone agent never waits on a fresh lookup
# while a recent one exists, and at most GOOGLE_FREEBUSY_TIMEOUT_SECONDS when none does.
GOOGLE_FREEBUSY_CACHE_SECONDS = env_int("GOOGLE_FREEBUSY_CACHE_SECONDS", 120, minimum=1)
GOOGLE_FREEBUSY_TIMEOUT_SECONDS = env_float("GOOGLE_FREEBUSY_TIMEOUT_SECONDS", 1.5)
# Retries wait about BACKOFF * 2**attempt seconds (random, at most 10 minutes).
TASK_RETRY_BACKOFF_SECONDS = env_int("TASK_RETRY_BACKOFF_SECONDS", 5, minimum=1)
CALENDAR_SYNC_MAX_RETRIES = env_int("CALENDAR_SYNC_MAX_RETRIES", 8, minimum=0)
CALENDAR_RECONCILE_DAYS = env_int("CALENDAR_RECONCILE_DAYS", 14, minimum=1)

NHTSA_VPIC_BASE_URL = (env_url("NHTSA_VPIC_BASE_URL", ("http", "https")) or "https://vpic.nhtsa.dot.gov/api").rstrip(
    "/"
)
NHTSA_RECALLS_BASE_URL = (env_url("NHTSA_RECALLS_BASE_URL", ("http", "https")) or "https://api.nhtsa.gov").rstrip("/")
NHTSA_TIMEOUT_SECONDS = env_float("NHTSA_TIMEOUT_SECONDS", 5.0)
NHTSA_MAX_RETRIES = env_int("NHTSA_MAX_RETRIES", 6, minimum=0)

# Appointment texts (confirmation, reminder the day before, cancellation) to opted-in customers.
TEXTS_ENABLED = env_bool("TEXTS_ENABLED", False)
TEXTS_FROM_NUMBER = env_str("TEXTS_FROM_NUMBER")  # the shop's Twilio number, E.164
if TEXTS_ENABLED and not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN and TEXTS_FROM_NUMBER):
    raise ImproperlyConfigured("TEXTS_ENABLED needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TEXTS_FROM_NUMBER")
TEXTS_MAX_RETRIES = env_int("TEXTS_MAX_RETRIES", 6, minimum=0)


def env_names(name, pattern, what):
    """A comma-separated list of `what`s, each matching `pattern`; empty -> []."""
    values = [v.strip() for v in env_str(name).split(",") if v.strip()]
    for value in values:
        if not re.fullmatch(pattern, value):
            raise ImproperlyConfigured(f"{name} must be a comma-separated list of {what}; one entry is not")
    return values


# Urgent callback requests (a safety problem, a stranded car) alert the advisors at once: a text to
# each on-call number (E.164, sent from TEXTS_FROM_NUMBER) and an e-mail to each address.
URGENT_ALERT_SMS_TO = env_names("URGENT_ALERT_SMS_TO", r"\+[1-9]\d{7,14}", "E.164 phone numbers")
URGENT_ALERT_EMAIL_TO = env_names("URGENT_ALERT_EMAIL_TO", r"[^@\s,]+@[^@\s,]+\.[^@\s,]+", "e-mail addresses")
if URGENT_ALERT_SMS_TO and not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN and TEXTS_FROM_NUMBER):
    raise ImproperlyConfigured("URGENT_ALERT_SMS_TO needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TEXTS_FROM_NUMBER")
# Outgoing e-mail (the urgent alerts): SMTP when EMAIL_HOST is set, else written to the console log.
_email_host = env_str("EMAIL_HOST")  # the environment's names; Django's EMAIL_* settings are deprecated
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ottos@localhost")
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": _email_host,
            "port": env_int("EMAIL_PORT", 587, minimum=1),
            "username": env_str("EMAIL_HOST_USER"),
            "password": env_str("EMAIL_HOST_PASSWORD"),
            "use_tls": env_bool("EMAIL_USE_TLS", True),
            "timeout": 10,
        },
    }
    if _email_host
    else {"BACKEND": "django.core.mail.backends.console.EmailBackend"},
}


def env_quiet_hours(name, default):
    """'21:00-08:00' -> (time(21), time(8)) in shop-local time; empty -> None (no quiet hours)."""
    from datetime import time as _time

    value = env_str(name, default)
    if not value:
        return None
    try:
        first, last = (_time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        raise ImproperlyConfigured(f"{name} must look like 21:00-08:00, not {value!r}") from None
    if first == last:
        raise ImproperlyConfigured(f"{name} starts and ends at the same time: {value!r}")
    return first, last


# No texts go out in these shop-local hours; they wait until the quiet hours end.
QUIET_HOURS = env_quiet_hours("QUIET_HOURS", "21:00-08:00")

CELERY_BEAT_SCHEDULE = {
    "refresh-calendar-busy": {"task": "scheduling.tasks.refresh_calendar_busy", "schedule": 60.0},
    "reconcile-calendar": {"task": "scheduling.tasks.reconcile_calendar", "schedule": 15 * 60.0},
    "queue-reminders": {"task": "scheduling.tasks.queue_reminders", "schedule": 30 * 60.0},
    "send-due-texts": {"task": "scheduling.tasks.send_due_texts", "schedule": 5 * 60.0},
    "queue-declined-work-follow-ups": {
        "task": "scheduling.repair_orders.tasks.queue_declined_work_follow_ups",
        "schedule": 3600.0,
    },
    "refresh-recalls": {"task": "crm.tasks.refresh_stale_recalls", "schedule": 24 * 3600.0},
    "purge-old-calls": {"task": "calls.tasks.purge_old_calls", "schedule": 24 * 3600.0},
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}")
# Structured lines (ottos/lib/logging.py): the call SID on every line of a call, the task's id and name
# on every line of a Celery task, phone numbers cut to their last four digits, secrets masked.
# LOG_FORMAT "text" gives key=value pairs, "json" one object.
LOG_FORMAT = env_str("LOG_FORMAT", "text").lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "call_sid": {"()": "ottos.lib.logging.CallSidFilter"},
        "celery_task": {"()": "ottos.lib.logging.TaskFilter"},  # the task's id and name inside a Celery task
        "redact": {"()": "ottos.lib.logging.RedactingFilter"},
    },
    "formatters": {"structured": {"()": "ottos.lib.logging.StructuredFormatter", "style": LOG_FORMAT}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "structured",
            "filters": ["call_sid", "celery_task", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console handler (DEBUG only) would print unredacted lines a second time.
        "django": {"handlers": []},
        "django.channels.server": {"level": "WARNING"},
        # The SDKs log every request at INFO (Twilio ten lines each): only their problems.
        "twilio.http_client": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},  # its version banner, at every start of every process
    },
}
# Celery workers log through LOGGING too, rather than replacing the root handler with their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Error reports go to Sentry only when SENTRY_DSN is set, from every process (web, worker, beat,
# commands), redacted like the log lines (ottos/lib/error_reports.py).
SENTRY_DSN = env_url("SENTRY_DSN", ("http", "https"))
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")
if SENTRY_DSN:
    from ottos.lib.error_reports import start_error_reports

    start_error_reports(SENTRY_DSN, environment=SENTRY_ENVIRONMENT, release=env_str("SENTRY_RELEASE"))

# /metrics answers only requests with `Authorization: Bearer <METRICS_TOKEN>` when it is set.
METRICS_TOKEN = env_str("METRICS_TOKEN")

# --- Prometheus across processes ---------------------------------------------------------
# With several server processes each keeps its figures in files in this directory (read by
# prometheus_client itself, from the environment, before any metric exists) and /metrics adds
# them up. It must exist, shared by the processes of one host, and be emptied at each deploy.
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR")
if PROMETHEUS_MULTIPROC_DIR and not Path(PROMETHEUS_MULTIPROC_DIR).is_dir():
    raise ImproperlyConfigured(
        f"PROMETHEUS_MULTIPROC_DIR must be an existing directory, not {PROMETHEUS_MULTIPROC_DIR!r}"
    )
