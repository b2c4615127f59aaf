"""Per-action model permissions for routes that DRF's method map does not fit.

@action(detail=True, methods=["post"], permission_classes=[model_permission("change")])
def retry(self, request, pk=None): ...
"""

from django.db.models import Model
from rest_framework.permissions import BasePermission


def model_permission(
    action: str, model: type[Model] | None = None
) -> type[BasePermission]:
    """Require ``<app>.<action>_<model>``, of the view's model by default."""

    class HasModelPermission(BasePermission):
        def has_permission(self, request, view) -> bool:
            target = model or view.get_queryset().model
            codename = f"{target._meta.app_label}.{action}_{target._meta.model_name}"
            user = request.user
            return bool(user and user.is_authenticated and user.has_perm(codename))

    HasModelPermission.__name__ = f"Can{action.title()}"
    return HasModelPermission
