"""Make the demo recordings once (espeak-ng → sox → lame); the mp3s and timings are committed.

Run from the repository root: `python demo/make_audio.py`. Each turn is spoken on its own
so its start time in the joined recording is known exactly; `dialogues.json` keeps the turns,
their start seconds and the call data that goes with each recording.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
AUDIO = HERE / "audio"
GAP = 0.35  # seconds of silence between turns
VOICES = {"agent": "en-us+f3", "caller": "en-us+m3"}

DIALOGUES: dict[str, list[tuple[str, str]]] = {
    "burst_pipe": [
        ("agent", "Thanks for calling Breesy Demo Restoration. This is the after hours line. How can I help?"),
        ("caller", "Hi, a pipe burst in my basement and there is water everywhere."),
        ("agent", "I am sorry to hear that. Is the water still running, and is anyone in danger?"),
        ("caller", "I shut off the main valve. Nobody is hurt, but the carpet is soaked."),
        ("agent", "Understood. I will send a technician first thing in the morning. What is the address?"),
        ("caller", "One twenty three Main Street, Springfield."),
        ("agent", "Thank you. Is the water coming from a supply line, or could it be a drain or the water heater?"),
        ("caller", "It looks like the pipe above the laundry sink. It split right along the seam."),
        ("agent", "That helps. Please keep the water shut off and, if it is safe, turn off power to the basement."),
        ("caller", "Okay. Should I start moving things out of the water?"),
        ("agent", "Yes, lift anything you can onto a table, and take photos for your insurance company first."),
        ("caller", "My insurance is with State Mutual. Do you work with them?"),
        ("agent", "We do, and we will send them our moisture readings and photos directly."),
        ("caller", "What time will the technician get here?"),
        ("agent", "Between eight and nine tomorrow morning. They will call you thirty minutes before they arrive."),
        ("caller", "Thank you so much. My number is six three zero, five five five, one zero two three."),
        ("agent", "Got it. You will get a text with the technician's name tonight. Try to get some rest."),
    ],
    "job_update": [
        ("agent", "Breesy Demo Restoration, how can I help you today?"),
        ("caller", "Hi, your team set up drying fans in my kitchen on Monday. When will they come back?"),
        ("agent", "Let me check. The crew plans to take moisture readings tomorrow afternoon."),
        ("caller", "Great. Can they call me before they arrive?"),
        ("agent", "Of course. I have added a note to call you thirty minutes ahead."),
        ("caller", "Also, the fans are quite loud. Is it okay to turn them off at night?"),
        ("agent", "Please keep them running. Turning them off can add a day or two to the drying time."),
        ("caller", "Alright. And the dehumidifier is full of water. Should I empty it?"),
        (
            "agent",
            "It should drain by itself through the hose into the sink. If the hose came loose, you can empty it.",
        ),
        ("caller", "I will check the hose. How many more days do you think it will take?"),
        ("agent", "Usually three to five days for a kitchen. The readings tomorrow will tell us more."),
        ("caller", "Okay. Will someone look at the cabinets too? The bottom panels are swollen."),
        ("agent", "Yes. I will ask the crew lead to check the cabinets and to talk to you about replacing the panels."),
        ("caller", "Thank you, that is everything."),
    ],
    "estimate": [
        ("agent", "Thanks for calling Breesy Demo Restoration. How can I help?"),
        ("caller", "I found mold behind the bathroom wall and I would like an estimate."),
        ("agent", "We can do that. How large is the affected area, roughly?"),
        ("caller", "Maybe four feet by six feet, near the shower."),
        ("caller", "Is it dangerous to keep using the bathroom until then?"),
        ("agent", "Keep the door closed and the fan running, and avoid touching the wall. Short showers are fine."),
        ("caller", "Do you also fix the wall after the mold is removed?"),
        ("agent", "Yes. We remove the damaged drywall, treat the area, and rebuild it. The estimate covers both."),
        ("caller", "How long does the whole job usually take?"),
        ("agent", "For an area that size, about three days of work, plus a day for the air test afterwards."),
        ("caller", "And is the inspection really free?"),
        ("agent", "It is. The estimator will take moisture readings and photos, and email you a written estimate."),
        ("caller", "Great. Mornings are best for me, before eleven."),
        ("agent", "Thank you. An estimator will call you to book a free inspection this week, in the morning."),
    ],
    "billing": [
        ("agent", "Breesy Demo Restoration, this is the billing line. How can I help?"),
        ("caller", "I got an invoice, but my insurance company says they already paid part of it."),
        ("agent", "I can help with that. Do you have your claim number handy?"),
        ("caller", "Yes, it is claim four four seven one."),
        ("agent", "Thanks. And the invoice number is at the top right of the page. What does it say?"),
        ("caller", "Invoice number two zero eight nine. The total is four thousand two hundred dollars."),
        ("agent", "I see it. Your insurance company sent a payment of three thousand dollars last Friday."),
        ("caller", "So do I owe the rest, or is that still with the insurance?"),
        ("agent", "The rest may be your deductible, or a part the adjuster has not approved yet."),
        ("caller", "My deductible is one thousand dollars, so there is two hundred dollars I do not understand."),
        ("agent", "That is a fair question. It may be the extra day of drying equipment we added."),
        ("caller", "Nobody told me about an extra day."),
        ("agent", "I understand. I will ask our billing team to match the payment, check that day, and call you back."),
    ],
    "spam": [
        ("agent", "Thanks for calling Breesy Demo Restoration. How can I help?"),
        ("caller", "Congratulations, your business has been selected for a special marketing offer."),
        ("agent", "Thank you, but we are not interested. Please remove this number from your list."),
    ],
}


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()


def main() -> None:
    AUDIO.mkdir(exist_ok=True)
    timings: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        silence = tmpdir / "gap.wav"
        run("sox", "-n", "-r", "16000", "-c", "1", str(silence), "trim", "0", str(GAP))
        for name, turns in DIALOGUES.items():
            parts: list[str] = []
            out_turns = []
            start = 0.0
            for i, (speaker, text) in enumerate(turns):
                raw = tmpdir / f"{name}-{i}-raw.wav"
                wav = tmpdir / f"{name}-{i}.wav"
                run("espeak-ng", "-v", VOICES[speaker], "-s", "165", "-w", str(raw), text)
                run("sox", str(raw), "-r", "16000", "-c", "1", str(wav))
                out_turns.append({"speaker": speaker, "text": text, "start": round(start, 2)})
                start += float(run("soxi", "-D", str(wav))) + GAP
                parts += [str(wav), str(silence)]
            joined = tmpdir / f"{name}.wav"
            run("sox", *parts, str(joined))
            mp3 = AUDIO / f"{name}.mp3"
            run("lame", "--quiet", "-m", "m", "-b", "16", "--resample", "16", str(joined), str(mp3))
            timings[name] = {"file": f"audio/{name}.mp3", "duration": round(start), "turns": out_turns}
    (HERE / "dialogues.json").write_text(json.dumps(timings, indent=2) + "\n")


if __name__ == "__main__":
    main()
