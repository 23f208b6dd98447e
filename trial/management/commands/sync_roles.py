from django.core.management.base import BaseCommand

from trial.services import roles_sync


class Command(BaseCommand):
    help = "Create or update one group per trial role with the permissions defined in trial/roles.py."

    def handle(self, *args, **options):
        for role, count in roles_sync().items():
            self.stdout.write(f"{role}: {count} permissions")
