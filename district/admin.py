from django.contrib import admin

from core.admin import AuditedAdmin

from .models import Department, District, RoleAssignment, School, SchoolDay, SchoolProfile, SchoolYear

for model in (District, School, SchoolYear, SchoolDay, SchoolProfile, Department, RoleAssignment):
    admin.site.register(model, AuditedAdmin)
