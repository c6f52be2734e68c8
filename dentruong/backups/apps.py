from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "dentruong.backups"
    verbose_name = "Backups"
    default_auto_field = "django.db.models.BigAutoField"
