/**
 * The argument names LLaMA-Factory accepts in a training YAML (its HfArgumentParser refuses any other key: "Some
 * specified arguments are not used by the HfArgumentParser"), and the dataset_info.json keys it reads. Copied as
 * lists of names from the sources named on each list; the export tests check every key we write against them.
 */

/** hiyouga/LLaMA-Factory @ff6d4d12eeb035d6ce06805a5733dd7b29f2ac30 (v0.9.5-54), src/llamafactory/hparams/*.py dataclass fields. */
const LF = {
  'model_args.py': 'adapter_folder adapter_name_or_path add_special_tokens add_tokens cache_dir compute_dtype device_map disable_gradient_checkpointing double_quantization enable_liger_kernel flash_attn hf_hub_token infer_backend infer_dtype low_cpu_mem_usage model_max_length model_name_or_path model_revision quantization_bit quantization_device_map quantization_method quantization_type resize_vocab rope_scaling shift_attn split_special_tokens train_from_scratch trust_remote_code upcast_layernorm upcast_lmhead_output use_fast_tokenizer use_unsloth',
  'data_args.py': 'buffer_size cutoff_len dataset dataset_dir default_system enable_thinking eval_dataset eval_num_beams eval_on_each_dataset ignore_pad_token_for_loss interleave_probs mask_history max_samples media_dir mix_strategy neat_packing overwrite_cache packing preprocessing_batch_size preprocessing_num_workers streaming template tokenized_path tool_format train_on_prompt val_size',
  'finetuning_args.py': 'additional_target compute_accuracy create_new_adapter disable_shuffling finetuning_type freeze_trainable_layers freeze_trainable_modules include_effective_tokens_per_second lora_alpha lora_dropout lora_rank lora_target loraplus_lr_embedding loraplus_lr_ratio pissa_convert pissa_init pissa_iter plot_loss pure_bf16 stage use_dora use_rslora',
  'training_args.py': 'overwrite_output_dir master_addr master_port',
};

/**
 * huggingface/transformers @00349ae87eddc872ffa21a8a54f264375a0056a8 src/transformers/training_args.py, the
 * TrainingArguments fields LLaMA-Factory's TrainingArguments inherits (Seq2SeqTrainingArguments), as read there.
 */
const HF = 'output_dir per_device_train_batch_size num_train_epochs max_steps learning_rate lr_scheduler_type lr_scheduler_kwargs warmup_steps warmup_ratio optim weight_decay adam_beta1 adam_beta2 adam_epsilon gradient_accumulation_steps max_grad_norm bf16 fp16 tf32 gradient_checkpointing logging_strategy logging_steps logging_first_step include_num_input_tokens_seen report_to run_name eval_strategy eval_steps per_device_eval_batch_size save_strategy save_steps save_total_limit save_only_model seed data_seed ddp_timeout deepspeed do_train do_eval do_predict resume_from_checkpoint dataloader_num_workers';

export const YAML_ARGUMENTS = new Set([...Object.values(LF), HF].flatMap((s) => s.split(' ')));

/** LLaMA-Factory src/llamafactory/data/parser.py @ff6d4d1 DatasetAttr.join and data/README.md: entry, columns, tags keys. */
export const DATASET_INFO_KEYS = new Set('hf_hub_url ms_hub_url om_hub_url script_url cloud_file_name file_name formatting ranking subset split folder num_samples columns tags'.split(' '));
export const DATASET_COLUMNS = new Set('prompt query response history messages system tools images videos audios chosen rejected kto_tag'.split(' '));
export const DATASET_TAGS = new Set('role_tag content_tag user_tag assistant_tag observation_tag function_tag system_tag'.split(' '));
export const FORMATTINGS = new Set(['alpaca', 'sharegpt', 'openai']);
