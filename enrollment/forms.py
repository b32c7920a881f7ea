from core.forms import DateInput, RecordForm

from .models import Student


class StudentForm(RecordForm):
    class Meta:
        model = Student
        fields = [
            "district",
            "state_id",
            "local_id",
            "legal_first_name",
            "legal_middle_name",
            "legal_last_name",
            "preferred_name",
            "birth_date",
            "sex",
            "hispanic",
            "races",
            "grade_level",
            "home_language",
            "directory_opt_out",
            "household",
            "street",
            "resident_town",
            "latitude",
            "longitude",
        ]
        widgets = {"birth_date": DateInput}
