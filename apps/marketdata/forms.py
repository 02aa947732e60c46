from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from engine.marketdata import INTERVALS

from .services import symbol_name_clean, upload_limits_text


class CandleUploadForm(forms.Form):
    file = forms.FileField(
        help_text="Binance kline CSV or OHLCV CSV with a header; .gz and .zip accepted"
    )
    symbol = forms.CharField(max_length=30, help_text="e.g. BTCUSDT")
    interval = forms.ChoiceField(
        choices=[("", "detect from the file")] + [(i, i) for i in INTERVALS], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per form, so the text follows the settings (they can change between tests).
        self.fields["file"].help_text = (
            "Binance kline CSV or OHLCV CSV with a header; .gz and .zip accepted. "
            + upload_limits_text()
        )

    def clean_symbol(self) -> str:
        try:
            return symbol_name_clean(self.cleaned_data["symbol"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["symbol"]) from None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        cap = settings.MARKETDATA_UPLOAD_MAX_BYTES
        if upload.size > cap:
            raise ValidationError(f"The file is {upload.size} bytes; the limit is {cap} bytes.")
        return upload
