"""Words the synthetic groups are made of: names, venues, paper titles, note bodies.

Every value that fills a note template is plain text (letters, digits, spaces,
hyphens, dots), so Markdown leaves it alone and HTML escaping does not change
it: that is what lets ``generate.NoteBodies`` render each template once.
"""

from __future__ import annotations

FIRST_NAMES = [
    "Ada", "Alan", "Amara", "Anil", "Aoife", "Arjun", "Beatriz", "Bilal", "Camille", "Chen",
    "Chiara", "Dmitri", "Elena", "Emeka", "Farah", "Felix", "Freya", "Gabriel", "Hana", "Hugo",
    "Ines", "Ivan", "Jamal", "Jia", "Joanna", "Kai", "Karim", "Keiko", "Lars", "Leila",
    "Lucas", "Maya", "Mateo", "Mei", "Nadia", "Naveen", "Nora", "Oleg", "Olu", "Omar", "Paula",
    "Priya", "Rafael", "Rin", "Rosa", "Sami", "Sara", "Shreya", "Sofia", "Tariq", "Tomas",
    "Uma", "Vera", "Wei", "Yara", "Yusuf", "Zainab", "Zoe", "Ahmed",
]  # fmt: skip

LAST_NAMES = [
    "Abadi", "Achterberg", "Banerjee", "Barros", "Bianchi", "Brennan", "Castillo", "Chowdhury",
    "Costa", "Dang", "Dubois", "Eriksson", "Fischer", "Fujita", "Garcia", "Gupta", "Haddad",
    "Hansen", "Hoffmann", "Horvat", "Ibrahim", "Ito", "Jensen", "Kaplan", "Kim", "Kowalski",
    "Kumar", "Larsen", "Lee", "Lindqvist", "Liu", "Lopez", "Mahmoud", "Martin", "Meyer",
    "Moreau", "Nakamura", "Nguyen", "Novak", "Okafor", "Oliveira", "Park", "Patel", "Petrov",
    "Quinn", "Rahman", "Rossi", "Sato", "Schmidt", "Silva", "Singh", "Sokolov", "Suzuki",
    "Tanaka", "Thompson", "Torres", "Usman", "Varga", "Wang", "Weber", "Xu", "Yamamoto",
    "Yilmaz", "Zhang", "Zhou", "Zielinski",
]  # fmt: skip

VENUES = [
    "OSDI", "SOSP", "NSDI", "EuroSys", "ATC", "ASPLOS", "ISCA", "MICRO", "HPCA", "SC", "PPoPP",
    "MLSys", "NeurIPS", "ICML", "ICLR", "SIGCOMM", "VLDB", "SIGMOD", "KDD", "ACL", "EMNLP",
    "CVPR", "SoCC", "Middleware", "HPDC", "ICS", "TPDS", "arXiv", "arXiv", "arXiv",
]  # fmt: skip

METHOD_PREFIXES = [
    "Flash", "Paged", "Spec", "Hydra", "Turbo", "Deep", "Mega", "Tera", "Zero", "Sky", "Hexa",
    "Quick", "Sparse", "Elastic", "Nimble", "Swift", "Lumen", "Orbit", "Atlas", "Vortex",
    "Helix", "Prism", "Cobalt", "Aurora", "Tidal",
]  # fmt: skip
METHOD_SUFFIXES = [
    "Serve", "Train", "KV", "Flow", "Sched", "Pipe", "Shard", "Cache", "Tune", "Mesh",
    "Stream", "Opt", "Ray", "Gate", "Fuse",
]  # fmt: skip

# Between prefix and suffix, so system names rarely repeat (25 x 24 x 15 of them).
METHOD_MIDDLES = [
    "", "a", "o", "ix", "er", "on", "ar", "el", "um", "ex", "is", "al", "or", "en", "ic",
    "us", "an", "it", "ol", "ir", "ev", "am", "ur", "ot",
]  # fmt: skip

TITLE_ADJECTIVES = [
    "Efficient", "Scalable", "Fast", "Adaptive", "Practical", "Robust", "Elastic",
    "Fine-Grained", "Memory-Efficient", "Cost-Effective", "Low-Latency", "High-Throughput",
    "Fair", "Predictable", "Decentralized", "Hierarchical", "Lightweight",
]  # fmt: skip
TITLE_NOUNS = [
    "Memory Management", "Scheduling", "Parallelism", "Communication", "Caching", "Batching",
    "Placement", "Partitioning", "Compilation", "Checkpointing", "Offloading", "Autoscaling",
    "Load Balancing", "Resource Allocation",
]  # fmt: skip
TITLE_TASKS = [
    "Large Language Model Serving", "Distributed Training", "Mixture-of-Experts Inference",
    "Recommendation Models", "Graph Neural Networks", "Diffusion Models",
    "Long-Context Inference", "Federated Learning", "Vector Databases",
    "Multi-Tenant GPU Clusters", "Edge Devices", "Stream Processing", "Serverless Functions",
]  # fmt: skip
# Two technical terms in most titles: real titles share a few words, rarely most of them.
TITLE_PATTERNS = [
    "{m}: {adj} {noun} for {task} with {term} and {term2}",
    "{adj} {noun} of {term} for {task} under {term2}",
    "Towards {adj} {task} via {term} and {term2}",
    "{m}: Rethinking {term} for {term2} in {task}",
    "Understanding {term} and {term2} in {task}",
    "{m}: {adj} {task} with {term}",
    "On the Limits of {term} for {task} at {scale}",
    "{m}: {noun} Meets {term} for {adj} {task}",
    "When {term} Meets {term2}: {adj} {noun} at {scale}",
]
SCALES = [
    "Scale", "Datacenter Scale", "the Edge", "Rack Scale", "Planet Scale", "Low Cost",
    "Production Scale", "Exascale", "Trillion-Parameter Scale",
]  # fmt: skip

# Technical terms: what notes talk about, and what members search for.
TERMS = (
    """
kv cache|speculative decoding|tensor parallelism|pipeline bubbles|quantization|paged attention
mixture of experts|gradient checkpointing|prefix caching|request scheduling|load balancing
straggler mitigation|rdma|collective communication|all-reduce|sparse attention|flash attention
continuous batching|admission control|memory offloading|lora adapters|model compression|pruning
distillation|elastic training|fault tolerance|gpu sharing|serverless inference|autoscaling
cold starts|operator fusion|kernel tuning|compiler passes|graph partitioning|data loading
federated learning|differential privacy|vector search|embedding tables|recommendation models
energy efficiency|carbon-aware scheduling|sequence parallelism|zero redundancy
activation recomputation|long context|retrieval augmentation|token pruning|early exit
batch size scaling|learning rate warmup|optimizer states|8-bit optimizers|weight streaming
disaggregated prefill|decode phase|goodput|tail latency|slo attainment|preemption|swap space
cpu offload|nvlink topology|network congestion|hierarchical all-reduce|gradient compression
asynchronous sgd|parameter servers|expert routing|capacity factor|structured sparsity
int4 kernels|fp8 training|numerical stability|loss spikes|curriculum learning
benchmark contamination|evaluation harness|multi-tenant clusters|gang scheduling
spot instances|checkpoint restore|live migration|cache eviction|prefetching|storage tiers
object stores|dataflow graphs|stream processing|query optimization|learned indexes
cost models|profiling|roofline analysis|warp divergence|shared memory tiling|systolic arrays
chiplets|hbm bandwidth|pcie contention|cxl memory|near-data processing|smartnics
kernel bypass|consensus|replication|crash recovery|work stealing|memory fragmentation
""".replace("\n", "|")
    .strip("|")
    .split("|")
)

DATASETS = [
    "ShareGPT", "LMSYS-Chat", "ImageNet", "C4", "The Pile", "WikiText-103", "MMLU", "GSM8K",
    "HumanEval", "LongBench", "Criteo", "MLPerf", "SQuAD", "Alpaca", "Azure traces",
    "production traces",
]  # fmt: skip

ROOMS = ["Room 2.14", "Seminar room B", "Library annex", "Lab kitchen", ""]

# Note bodies: Markdown with slots a, b (terms), m (a method), d (a dataset),
# n (a number) and x (an arXiv number). No slot starts a line.
NOTE_TEMPLATES = [
    """**Summary.** The paper proposes {m}, which combines {a} with {b} to cut latency on {d}.

- Main idea: treat {a} as a scheduling problem rather than a memory problem.
- Reported speed-up: {n}x over the strongest baseline.
- Code is available; see [the arXiv version](https://arxiv.org/abs/{x}).
""",
    "Does the {a} result still hold without {b}? The ablation in section 4 only covers {d}, "
    "and the {n}x gain might come from batching alone.",
    """Numbers we discussed for {m}:

| setting | latency | memory |
|:--|--:|--:|
| baseline | 1.0 | 1.0 |
| with {a} | {n} | 1.4 |

The gap closes on {d}, which nobody could explain. Maybe {b}?
""",
    """A minimal sketch of the {a} loop from the session:

```python
for batch in loader:
    plan = schedule(batch, policy="{a}")
    run(plan)
```

Compare with how {m} handles {b}.
""",
    "The cost model is $O(n^2)$ in sequence length, so {a} only pays off beyond {n}k tokens. "
    "{m} avoids this with {b}, at the price of a second pass over {d}.",
    """> {m} is strictly better than {b}

Not on {d}: their own appendix shows a {n}% regression there once {a} is on.
""",
    """Takeaways from today:

1. Getting {a} right matters more than {b} at this scale.
2. We should try {m} on {d}.
3. Open question: does it survive {n}x more traffic?
""",
    "+1, and the related work misses {m} entirely (arXiv {x}).",
    "Slides are up. The key figure is {a} against {b} on {d}: {n}x at the median, "
    "much less at p99.",
    """### Reading notes

Background you need first: {a} and {b}. A good primer is <https://arxiv.org/abs/{x}>.
Their evaluation uses {d} only, which flatters {m}.
""",
    "I reran the artifact: {m} reproduces within {n}% on {d}, but only with {a} enabled. "
    "Without it the numbers look like plain {b}.",
    """Critique, for the record. The paper claims {a} is the bottleneck, yet every experiment
fixes the batch size, so the effect of {b} is never isolated. The {d} workload is also
much smaller than what a department cluster sees. Still, the {m} design is clean and the
{n}x result is believable for short prompts. Worth a follow-up session on {b}.
""",
]
