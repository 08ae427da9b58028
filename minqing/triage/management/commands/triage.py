from __future__ import annotations

import csv
import statistics
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from minqing.triage.cluster import cluster
from minqing.triage.csvio import read_rows
from minqing.triage.engine import TextClassifier


class Command(BaseCommand):
    help = "智能分拨：predict（训练并预测分类）、cluster（同一事项聚类）、evaluate（交叉验证）、train（用本区历史重新训练）"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        p = sub.add_parser("predict", help="在 --train 上训练，为 --input 每一行写出 id,label")
        p.add_argument("--train", nargs="+", required=True)
        p.add_argument("--input", required=True)
        p.add_argument("--output", required=True)
        c = sub.add_parser("cluster", help="把 --input 中说同一件事的留言归为一组，写出 id,cluster")
        c.add_argument("--input", required=True)
        c.add_argument("--output", required=True)
        e = sub.add_parser("evaluate", help="在公开数据上做分层 5 折交叉验证（准确率、macro-F1、各分类与混淆矩阵）")
        e.add_argument("--data", default="../shared/data/wenzheng")
        e.add_argument("--folds", type=int, default=5)
        e.add_argument("--clusters", action="store_true",
                       help="评估同一事项分组：标注的留言对上的精确率、召回率（副本、同一事项、说法相同地点不同）")
        e.add_argument("--pairs", default=None, help="标注的留言对（默认 minqing/triage/data/pairs.csv）")
        t = sub.add_parser("train", help="用本区已结案事项重新训练分类模型，并安排每晚自动重训")
        t.add_argument("--if-needed", action="store_true", help="已有模型时不重新训练")

    def handle(self, *args: Any, **opts: Any) -> None:
        verb = opts["verb"]
        try:
            if verb == "predict":
                self.predict(opts["train"], opts["input"], opts["output"])
            elif verb == "cluster":
                self.cluster(opts["input"], opts["output"])
            elif verb == "evaluate":
                from minqing.triage.evaluation import cross_validate, evaluate_clusters

                if opts["clusters"]:
                    if opts["pairs"]:
                        evaluate_clusters(opts["data"], pairs=opts["pairs"], out=self.stdout)
                    else:
                        evaluate_clusters(opts["data"], out=self.stdout)
                else:
                    cross_validate(opts["data"], folds=int(opts["folds"]), out=self.stdout)
            else:
                from minqing.triage.actions import model_train
                from minqing.triage.models import TriageModel
                from minqing.triage.tasks import ensure_scheduled

                if ensure_scheduled():
                    self.stdout.write("已安排每晚 02:00 由后台进程自动重新训练。")
                if opts["if_needed"] and TriageModel.objects.filter(active=True).exists():
                    self.stdout.write("已有分类模型，跳过训练。")
                    return
                model = model_train()
                self.stdout.write(f"已训练：{model}")
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc

    def predict(self, train: list[str], input_path: str, output: str) -> None:
        rows = [r for path in train for r in read_rows(path, labelled=True)]
        if not rows:
            raise CommandError("训练文件里没有带标签的行。")
        started = time.perf_counter()
        model = TextClassifier().fit([r.text for r in rows], [r.label for r in rows], [r.segmented for r in rows])
        trained = time.perf_counter() - started
        self.stdout.write(f"训练：{len(rows)} 条，{len(model.labels)} 个分类，用时 {trained:.1f} 秒")
        targets = read_rows(input_path, labelled=False)
        started = time.perf_counter()
        labels = model.predict([r.text for r in targets])
        total = time.perf_counter() - started
        timings = []
        for r in targets[:200]:  # one message at a time, as at intake
            t0 = time.perf_counter()
            model.predict([r.text])
            timings.append((time.perf_counter() - t0) * 1000)
        with open(output, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "label"])
            writer.writerows([r.id, label] for r, label in zip(targets, labels, strict=True))
        median = statistics.median(timings) if timings else 0.0
        self.stdout.write(f"预测：{len(targets)} 条，批量用时 {total:.2f} 秒；单条预测中位数 {median:.2f} 毫秒")

    def cluster(self, input_path: str, output: str) -> None:
        rows = read_rows(input_path, labelled=False)
        started = time.perf_counter()
        groups = cluster([r.text for r in rows])
        elapsed = time.perf_counter() - started
        with open(output, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "cluster"])
            writer.writerows([r.id, "" if g is None else g] for r, g in zip(rows, groups, strict=True))
        grouped = sum(1 for g in groups if g is not None)
        self.stdout.write(f"聚类：{len(rows)} 条，{len({g for g in groups if g})} 组，{grouped} 条归入某组，用时 {elapsed:.2f} 秒")
