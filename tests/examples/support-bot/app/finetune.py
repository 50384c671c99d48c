"""Start a fine-tuning job on the support Q&A data."""

from openai import OpenAI

client = OpenAI()


def start_job() -> str:
    training = client.files.create(file=open("data/train.jsonl", "rb"), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(training_file=training.id, model="gpt-4o-mini-2024-07-18")
    return job.id
