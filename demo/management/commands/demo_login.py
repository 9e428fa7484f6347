from __future__ import annotations

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

from demo.seed import DEMO_USERNAME, demo_login_line, demo_password


class Command(BaseCommand):
    help = "Print the demo staff login made by seed_demo."

    def handle(self, *args, **options):
        user = User.objects.filter(username=DEMO_USERNAME, is_active=True).first()
        if user is None:
            self.stdout.write("No demo login: run `python manage.py seed_demo` to create one")
        elif user.check_password(demo_password()):
            self.stdout.write(demo_login_line(DEMO_USERNAME, demo_password()))
        else:
            self.stdout.write(f"Demo login: {DEMO_USERNAME} (its password was changed after the seed)")
