"""The franchise's external CRM (specs/crm-contacts-api.txt): its client, and a fake of it for
development, tests and the benchmark."""
