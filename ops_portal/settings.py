"""Settings for District Ops Portal, driven by environment variables.

With nothing set the app runs on an embedded default: SQLite in the project
folder, Celery tasks in-process, a local-memory cache and DEBUG on.

- ``DATABASE_URL`` (e.g. ``postgres://user@host:5432/ops``): the database.
- ``REDIS_URL`` (e.g. ``redis://127.0.0.1:6379/0``): Celery broker and cache.
- ``DJANGO_DEBUG=0`` with ``DJANGO_SECRET_KEY`` and ``DJANGO_ALLOWED_HOSTS``:
  the production configuration (``manage.py check --deploy`` is clean).
"""

import datetime
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# A fixed development key is acceptable only with DEBUG on; production must set one.
if DEBUG:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-for-production-use")
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "core",
    "district",
    "enrollment",
    "transportation",
    "reporting",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RequestIdMiddleware",
    "core.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.middleware.TimeZoneMiddleware",  # the district's time zone for the signed-in user
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.twofactor.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the sign-in page with its message
]

ROOT_URLCONF = "ops_portal.urls"
WSGI_APPLICATION = "ops_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out account before any password check
    "django.contrib.auth.backends.ModelBackend",
    "core.oidc.OidcBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Staff sign-in through the district's OpenID Connect provider (core/oidc.py);
# off, with only the password form, while no issuer is set.
OPS_OIDC_ISSUER = env.str("OPS_OIDC_ISSUER", default="")
OPS_OIDC_PROVIDER = env.str("OPS_OIDC_PROVIDER", default="google")  # google | entra | oidc
OPS_OIDC_TENANTS = env.list("OPS_OIDC_TENANTS", default=[])  # Entra tenant ids whose people may link
OPS_OIDC_BUTTON_LABEL = env.str("OPS_OIDC_BUTTON_LABEL", default="")
OIDC_RP_CLIENT_ID = env.str("OPS_OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OPS_OIDC_CLIENT_SECRET", default="")
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_PKCE = True
OIDC_CREATE_USER = False
OIDC_TIMEOUT = env.int("OPS_OIDC_TIMEOUT", default=10)
if OPS_OIDC_PROVIDER not in ("google", "entra", "oidc"):
    raise ImproperlyConfigured("OPS_OIDC_PROVIDER must be google, entra or oidc.")
if OPS_OIDC_ISSUER and OPS_OIDC_PROVIDER == "entra" and not OPS_OIDC_TENANTS:
    raise ImproperlyConfigured("OPS_OIDC_PROVIDER=entra needs OPS_OIDC_TENANTS (the tenant ids allowed to sign in).")

# A time-based one-time code (core/twofactor.py) after sign-in for district-wide
# roles; on in production, off in the demo so its logins work with a password.
OPS_REQUIRE_TOTP = env.bool("OPS_REQUIRE_TOTP", default=not DEBUG)
OTP_TOTP_ISSUER = "District Ops Portal"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = env.str("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))

# Production hardening: on whenever DEBUG is off.
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_AGE", default=8 * 3600)

# Content-Security-Policy on every response (django-csp): no inline script or
# style anywhere; the API docs pages widen it for themselves (core.api.docs).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Limits on guessing. The client address is REMOTE_ADDR, or the address in
# X-Forwarded-For when the request comes from one of these proxies (addresses
# or networks, e.g. "10.0.0.0/8"); see core.net.
OPS_TRUSTED_PROXIES = env.list("OPS_TRUSTED_PROXIES", default=[])
# Sign-in (django-axes, kept in the database): an account is locked from one
# address after this many failures, for the cool-off.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("OPS_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("OPS_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
AXES_LOCKOUT_CALLABLE = "core.auth.lockout_response"
AXES_CLIENT_STR_CALLABLE = "core.auth.attempt_str"  # how its log lines name the account and address
# API (core.api.throttling, counted in the cache): bad bearer tokens per client
# address, and requests per token or signed-in user. An empty value is no limit.
OPS_TOKEN_FAILURE_RATE = env.str("OPS_TOKEN_FAILURE_RATE", default="10/minute")
OPS_API_RATE = env.str("OPS_API_RATE", default="1200/minute")

# Celery: Redis when REDIS_URL is set, otherwise tasks run in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task not acknowledged within this many seconds is redelivered to another
# worker. It must exceed the longest task's run time (reports take minutes).
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=1800)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Static entries; django-celery-beat's database scheduler installs them beside
# the schedules staff create in the app (report schedules).
CELERY_BEAT_SCHEDULE = {
    "report-runs-requeue": {"task": "reporting.tasks.report_runs_requeue_task", "schedule": 60.0},
    "offers-expire": {"task": "enrollment.tasks.offers_expire_task", "schedule": crontab(hour=0, minute=30)},
}
# Where scheduled report files are copied for pickup by other systems.
OPS_EXPORT_FOLDER = env.str("OPS_EXPORT_FOLDER", default=str(BASE_DIR / "var" / "exports"))
# Unicode TrueType fonts of PDFs (the board packet): a file name looked up in the folders, or a
# path. Debian's fonts-dejavu-core (Latin, Vietnamese, Arabic) and fonts-droid-fallback (Chinese,
# Japanese, Korean) by default; the fallbacks draw the characters the main font lacks.
OPS_PDF_FONT_DIRS = env.list(
    "OPS_PDF_FONT_DIRS",
    default=[
        "/usr/share/fonts/truetype/dejavu",
        "/usr/share/fonts/truetype/droid",
        "/usr/share/fonts/dejavu-sans-fonts",
        "/usr/share/fonts/google-droid-sans-fonts",
        "/usr/share/fonts/TTF",
    ],
)
OPS_PDF_FONT = env.str("OPS_PDF_FONT", default="DejaVuSans.ttf")
OPS_PDF_FONT_BOLD = env.str("OPS_PDF_FONT_BOLD", default="DejaVuSans-Bold.ttf")
OPS_PDF_FALLBACK_FONTS = env.list("OPS_PDF_FALLBACK_FONTS", default=["DroidSansFallbackFull.ttf"])

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.PolicyPermission"],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.IdCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.ApiRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "core.api.renderers.BrowsableAPIRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "District Ops Portal API",
    "DESCRIPTION": "Records and workflows of a school district's operations departments.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name across models get their own names.
    "ENUM_NAME_OVERRIDES": {
        "AuditSourceEnum": "core.choices.Source",
        "ExternalSourceEnum": "enrollment.choices.ExternalSource",
        "PriorityKindEnum": "enrollment.choices.PriorityKind",
        "LotteryRunKindEnum": "enrollment.choices.RunKind",
        "ApplicationStatusEnum": "enrollment.choices.ApplicationStatus",
        "OfferStatusEnum": "enrollment.choices.OfferStatus",
        "JobStatusEnum": "reporting.models.RunStatus",
        "KpiStatusEnum": "dashboard.choices.Status",
        "KpiScopeEnum": "dashboard.choices.Scope",
    },
}

# Where the access policy reads a user's role assignments (core knows no app).
OPS_ASSIGNMENT_LOADER = "district.models.assignments_for_user"

# The sign-in page lists the demo accounts (make run); never in production.
OPS_SHOW_DEMO_LOGINS = env.bool("OPS_SHOW_DEMO_LOGINS", default=DEBUG)
OPS_DEMO_PASSWORD = "demo-pass-2026"  # every demo account's password (seed_demo)

# /health/ shows its parts (database, cache, broker) to signed-in staff only,
# or to every caller with this on; the API schema and docs need a signed-in
# user (session or token) unless this is on.
OPS_HEALTH_DETAILS = env.bool("OPS_HEALTH_DETAILS", default=False)
OPS_API_DOCS_PUBLIC = env.bool("OPS_API_DOCS_PUBLIC", default=False)

# Rows per page on list pages, and the small-cell suppression threshold.
OPS_PAGE_SIZE = 50
OPS_SMALL_CELL = env.int("OPS_SMALL_CELL", default=10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # django-axes logs each failed sign-in as a warning; its start-up and bookkeeping notes are left out.
    "loggers": {"axes": {"level": "WARNING"}},
}
# Grades athletics serves (its teams' grades): its people reach students in these grades only.
OPS_ATHLETICS_GRADES = env.list("OPS_ATHLETICS_GRADES", default=["06", "07", "08", "09", "10", "11", "12"])
